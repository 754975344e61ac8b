"""epicshell: the CRM shell of Epic Events."""

__version__ = "0.1.0"
