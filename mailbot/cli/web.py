"""`mailbot agents …` and `mailbot serve`: the agents' web console."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from mailbot.cli.app import app, console, err_console, settings_of

agents_app = typer.Typer(no_args_is_help=True, help="Agents who may log in to the web console.")


app.add_typer(agents_app, name="agents")


def _new_password() -> str:
    """Asked twice on a terminal; from a script, the first line of stdin (a second, if any, must match)."""
    if sys.stdin.isatty():
        return typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    lines = sys.stdin.read().splitlines()
    if not lines:
        raise typer.BadParameter("no password on stdin")
    if len(lines) > 1 and lines[1] and lines[1] != lines[0]:
        raise typer.BadParameter("the two passwords on stdin differ")
    return lines[0]


@agents_app.command("add")
def agents_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The name the agent logs in with (and the audit trail shows).")],
    replace: Annotated[bool, typer.Option("--replace", help="Set a new password for an existing agent.")] = False,
) -> None:
    """Add an agent; the password is asked twice (or read from stdin), stored as an argon2 hash."""
    from mailbot.db.engine import make_engine
    from mailbot.web.agents import add_agent, check_name

    settings = settings_of(ctx)
    check_name(name)  # before asking for a password
    add_agent(engine=make_engine(settings.database.url), name=name, password=_new_password(), replace=replace)
    console.print(f"{'updated' if replace else 'added'} agent {name.strip()}", highlight=False, markup=False)


@agents_app.command("list")
def agents_list(ctx: typer.Context) -> None:
    """The agents who may log in, with when each was added."""
    from mailbot.db.engine import make_engine, new_session
    from mailbot.web.agents import list_agents

    settings = settings_of(ctx)
    with new_session(make_engine(settings.database.url)) as session:
        agents = list_agents(session=session)
    for agent in agents:
        console.print(f"{agent.name}\t{agent.created_at:%Y-%m-%d %H:%M}", highlight=False, markup=False)
    if not agents:
        err_console.print("no agents yet: add one with `mailbot agents add NAME`", highlight=False, markup=False)


@agents_app.command("remove")
def agents_remove(ctx: typer.Context, name: str) -> None:
    """Remove an agent; their open console sessions stop working at once."""
    from mailbot.db.engine import make_engine
    from mailbot.web.agents import remove_agent

    settings = settings_of(ctx)
    remove_agent(engine=make_engine(settings.database.url), name=name)
    console.print(f"removed agent {name.strip()}", highlight=False, markup=False)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on (default: [web] host).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default: [web] port).")] = None,
) -> None:
    """Serve the agents' web console until Ctrl-C (put it behind an HTTPS proxy beyond localhost)."""
    import uvicorn

    from mailbot.db.engine import make_engine, new_session
    from mailbot.web.agents import list_agents
    from mailbot.web.app import create_app

    settings = settings_of(ctx)
    engine = make_engine(settings.database.url)
    with new_session(engine) as session:
        if not list_agents(session=session):
            err_console.print(
                "warning: no agent can log in yet: add one with `mailbot agents add NAME`",
                highlight=False,
                markup=False,
            )
    application = create_app(settings=settings, engine=engine)
    proxies = settings.web.trusted_proxies
    uvicorn.run(
        application,
        host=host or settings.web.host,
        port=port or settings.web.port,
        # X-Forwarded-* only from configured proxies: uvicorn's default would trust any
        # local process, and a forged client address resets the login throttle.
        proxy_headers=bool(proxies),
        forwarded_allow_ips=[str(network) for network in proxies] if proxies else None,
        server_header=False,
        log_level="info",
    )
