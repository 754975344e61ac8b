"""`contract_day`: contracts per commercial, status and UTC day of creation, with their
totals and amounts due, kept by triggers on contract (services.contract_days) and filled
here from the existing rows. `report pipeline` over all time sums about 66,000 day rows
instead of reading a million contracts."""
from epicshell.services import contract_days


def up(migrator, db):
    contract_days.install(db)
