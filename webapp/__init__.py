"""The PDW web app: reviewer inbox, task pages, the applicant portal, the working calendar,
the supervisor's area, notifications and process design."""
from __future__ import annotations

from flask import Flask, g, redirect, request, url_for

from engine.access import set_entry_point
from engine.permissions import is_staff, may_design


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app from the environment's Config; `test_config` overrides Flask settings and
    may hand in an engine as PDW_ENGINE, whose Config then stands for the environment's."""
    app = Flask(__name__, instance_relative_config=True)
    from engine.config import Config
    from webapp.config import flask_settings

    given = (test_config or {}).get("PDW_ENGINE")
    app.config.from_mapping(flask_settings(given.config if given is not None else Config.from_env()))
    if test_config is not None:
        app.config.update(test_config)

    from engine import logs

    if not app.testing:
        logs.configure(app.config["PDW_CONFIG"].log_format)

    from webapp import bad_input, engine, errors, i18n, observability, scheduler, security, templating, terms

    observability.init_app(app)
    bad_input.init_app(app)
    engine.init_app(app)
    scheduler.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    terms.init_app(app)

    from webapp import (api, auth, calendar, catalog, designer, grants, health, inbox, notifications, organisation,
                        portal, supervise)

    app.register_blueprint(auth.bp)
    app.register_blueprint(calendar.bp)
    app.register_blueprint(designer.bp)
    app.register_blueprint(grants.bp)
    app.register_blueprint(catalog.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(i18n.bp)
    app.register_blueprint(inbox.bp)
    app.register_blueprint(portal.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(organisation.bp)
    app.register_blueprint(supervise.bp)
    notifications.init_app(app)
    api.init_app(app)

    @app.before_request
    def declare_entry_point() -> None:
        # Reads of an application are recorded with where they came in (engine.access).
        channel = "api" if request.path.startswith(api.PREFIX + "/") else "web"
        set_entry_point(f"{channel} {request.method} {request.path}")

    @app.route("/")
    def index():
        """Send people to where their work is: applicants to the portal, officials to the inbox."""
        if g.user is None:
            return redirect(url_for("auth.login"))
        if is_staff(g.user.roles):
            return redirect(url_for("inbox.index"))
        if may_design(g.user.roles):
            return redirect(url_for("designer.index"))
        return redirect(url_for("portal.index"))

    if not app.testing:
        from engine.bootstrap import settle_heap

        settle_heap()
    return app
