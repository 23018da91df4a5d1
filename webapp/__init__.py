"""The clinic's demo website: a plain page with the clinic's article and the chat widget.

``create_app(settings) -> Sanic``; one blueprint per area (pages, widget files). Run it with
``python -m webapp`` (port 8080); `make run` starts it with the assistant.
"""

from webapp.app import WebSettings, create_app

__all__ = ["WebSettings", "create_app"]
