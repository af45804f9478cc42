"""`pdw web`: serve the web app."""
from __future__ import annotations

import click


@click.command("web")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--debug", is_flag=True, help="Reload on code changes and show tracebacks (never in production).")
def group(host: str, port: int, debug: bool) -> None:
    """Serve the web app with werkzeug's server (for production, a WSGI server: webapp:create_app())."""
    from engine.config import ConfigError
    from webapp import create_app

    try:
        app = create_app()
    except ConfigError as err:
        # A bad setting is the operator's to fix: one line, not a traceback.
        raise click.ClickException(str(err)) from None
    app.run(host=host, port=port, debug=debug)
