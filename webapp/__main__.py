"""python -m webapp [--host 127.0.0.1] [--port 8080] [--rasa-url http://localhost:5005]
[--frame-ancestors ORIGINS]"""

from __future__ import annotations

import argparse
import dataclasses
import os

from clinic_office import config
from webapp.app import WebSettings, create_app


def main() -> None:
    """Run the demo website."""
    parser = argparse.ArgumentParser(description="The clinic's demo website with the widget.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--rasa-url", default="http://localhost:5005")
    parser.add_argument(
        "--rasa-api-url",
        default=os.environ.get("RASA_API_URL", "http://127.0.0.1:5005"),
        help="where this process reaches Rasa's HTTP API (the studio's try box)",
    )
    parser.add_argument(
        "--frame-ancestors",
        default=os.environ.get("FRAME_ANCESTORS", "'none'"),
        help="origins that may frame the site (CSP frame-ancestors); default: none",
    )
    args = parser.parse_args()
    settings = WebSettings.from_config(
        config.current(), rasa_url=args.rasa_url, frame_ancestors=args.frame_ancestors
    )
    settings = dataclasses.replace(settings, rasa_api_url=args.rasa_api_url)
    app = create_app(settings)
    app.run(host=args.host, port=args.port, access_log=False, workers=1)


if __name__ == "__main__":
    main()
