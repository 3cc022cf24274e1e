"""monitor: a news-feed watch daemon.

It polls feeds, recognises the stories of a configured topic (a *watch*) in German,
English and Korean, and keeps every hit in SQLite. The data flow is drawn in
:mod:`monitor.pipeline`.
"""

__version__ = "0.1.0"
