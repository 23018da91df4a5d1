"""The clinic's back office, with no Rasa import: shared by the actions, the web app, the
scripts and the staff tools.

- ``config``: every setting of an installation, read once into one typed ``Settings``;
- ``clinic_settings``: the clinic's facts file (hours, prices...), reloaded when it changes;
- ``topics``: the FAQ topics, their sources and button titles;
- ``booking_store``: booking requests and their notification outbox (SQLite or PostgreSQL);
- ``notify``: e-mail and webhook delivery; ``notifier``: the delivery worker process;
- ``retention``: purging idle conversations and finished booking requests.
"""

from clinic_office.config import ConfigError, Settings, current

__all__ = ["ConfigError", "Settings", "current"]
