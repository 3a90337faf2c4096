"""Self-service forwarding addresses: a team member adds the other addresses they forward from.

Each is verified by a signed link mailed to it through the outbox (a row first, then a job, as
every email we send); the link works without a login, since it is often opened on another device.
Opening it also sends what was forwarded from the address into Review through the pipeline again.
"""

from __future__ import annotations

import logging
import re

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_login import login_required
from markupsafe import Markup, escape

from triage.accounts import forwarding
from triage.db.base import utcnow
from triage.intake import accept
from triage.outbound import dispatch, outbox
from triage.web.inbox.common import user
from triage.web.services import db, redis, settings

log = logging.getLogger(__name__)

bp = Blueprint("forwarding", __name__, url_prefix="/account/forwarding")


def breakable(address: str) -> Markup:
    """The address, escaped, with a line-break chance after each @ and dot: a long one wraps on a phone."""
    return Markup("<wbr>").join(escape(part) for part in re.split(r"(?<=[@.])", address))


@bp.context_processor
def _helpers():
    return {"breakable": breakable}


@bp.get("")
@login_required
def index():
    return render_template(
        "forwarding/index.html",
        addresses=forwarding.addresses_of(db(), user()),
        inbound=settings().inbound_addresses,
    )


@bp.post("")
@login_required
def add():
    me = user()
    row = forwarding.register(db(), me, request.form.get("address", ""))
    if row.verified_at is not None:
        flash(Markup("{} is already confirmed.").format(breakable(row.email)))
        return redirect(url_for("forwarding.index"))
    link = url_for(
        "forwarding.confirm", token=forwarding.confirmation_token(settings().secret_key, row), _external=True
    )
    body = render_template(
        "forwarding/confirm_email.txt", name=me.name, address=row.email, link=link, days=forwarding.LINK_DAYS
    )
    mail = outbox.new_row(
        settings(),
        kind="forwarding_confirm",
        to_address=row.email,
        to_name=me.name,
        subject="Confirm your forwarding address for Triage",
        body_text=body,
        automatic=True,
        created_by_id=me.id,
    )
    db().add(mail)
    db().commit()
    dispatch.nudge_delivery(redis(), [mail.id])  # Redis down: the outbox sweep sends it
    log.info("forwarding address %s registered by user %s; confirmation %s queued", row.id, me.id, mail.id)
    flash(
        Markup("We sent a confirmation link to {}. Open it to start forwarding from there.").format(
            breakable(row.email)
        )
    )
    return redirect(url_for("forwarding.index"))


@bp.post("/<int:address_id>/remove")
@login_required
def remove(address_id: int):
    forwarding.remove(db(), user(), address_id)
    db().commit()
    flash("Removed.")
    return redirect(url_for("forwarding.index"))


@bp.get("/confirm/<token>")
def confirm(token: str):
    now = utcnow()
    row = forwarding.confirm(db(), settings().secret_key, token, now=now)
    # Only the first opening: a link opened again finds the same Review and would read it again for nothing.
    again = forwarding.route_again(db(), row) if row.verified_at == now else []
    db().commit()
    accept.enqueue(redis(), again)  # Redis down: logged, and the intake sweeper routes them
    return render_template("forwarding/confirmed.html", address=row.email, again=len(again))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
