"""``warta sources``: the outlets of DATA_DIR/sources.toml, what they answer, how they do."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import click

from .cli import crawl_command, crawl_options_for, open_store, read_sources
from .crawl import default_domains, user_agent
from .health import show_time, source_status
from .probe import check_source
from .sources import Source, SourcesError, crawl_options, sources_path, starter_text


@click.group("sources")
def sources_group() -> None:
    """The outlets Warta follows (DATA_DIR/sources.toml): list, check, status, init."""


def _sources(ctx: click.Context) -> list[Source]:
    try:
        return read_sources(ctx.obj["data_dir"])
    except SourcesError as e:
        raise click.ClickException(str(e)) from e


def _plain(value):
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def source_dict(source: Source) -> dict:
    """A source as ``warta sources list --json`` prints it (options by flag name)."""
    flags = {param.name: flag for flag, param in crawl_options(crawl_command).items()}
    return {
        "name": source.key,
        "outlet": source.name,
        "start_urls": list(source.start_urls),
        "interval_minutes": source.interval_minutes,
        "enabled": source.enabled,
        "options": {flags[name]: _plain(value) for name, value in source.options.items()},
    }


@sources_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the sources as JSON.")
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """List the sources: name, outlet, interval, start URLs and crawl options."""
    found = [source_dict(source) for source in _sources(ctx)]
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for entry in found:
        state = "" if entry["enabled"] else " (disabled)"
        click.echo(
            f"{entry['name']}: {entry['outlet']}{state}, "
            f"every {entry['interval_minutes']:g} minutes"
        )
        for url in entry["start_urls"]:
            click.echo(f"  {url}")
        if entry["options"]:
            options = ", ".join(f"{k} = {json.dumps(v)}" for k, v in entry["options"].items())
            click.echo(f"  {options}")


@sources_group.command("check")
@click.argument("name", required=False)
@click.pass_context
def check_command(ctx: click.Context, name: str | None) -> None:
    """Fetch robots.txt and each start URL of NAME (default: every source) once; say what answers.

    Exits 1 when a start URL gives no feed, sitemap or page.
    """
    sources = _sources(ctx)
    if name is not None:
        sources = [s for s in sources if s.key == name]
        if not sources:
            raise click.BadParameter(f"there is no source '{name}'.", param_hint="NAME")
    broken = 0
    for source in sources:
        options = crawl_options_for(ctx, source)
        options.allowed_domains = options.allowed_domains or default_domains(options.start_urls)
        click.echo(f"{source.key} ({source.name}){'' if source.enabled else ' (disabled)'}")
        robots, starts = check_source(options, user_agent(options.contact_url))
        for answer in robots:
            click.echo(f"  robots.txt {answer.line()}")
        for answer in starts:
            bad = not answer.ok or answer.robots_allowed is False
            click.echo(f"  {'BAD' if bad else 'ok '} {answer.line()}")
            broken += bad
    if broken:
        raise click.ClickException(f"{broken} start URL(s) did not answer as they should.")


@sources_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_context
def status_command(ctx: click.Context, as_json: bool) -> None:
    """How each source is doing: last success, articles in 24 h and 7 days, failures, warnings.

    Times are in Asia/Jakarta (WIB, +07:00). A warning says when the latest
    rounds failed, or when their extraction signals (articles without text,
    date or author, short bodies, repeated titles) are far off the outlet's usual.
    """
    sources = _sources(ctx)
    with open_store(ctx) as store:
        found = source_status(store, sources)
    if as_json:
        click.echo(json.dumps([s.to_dict() for s in found], ensure_ascii=False, indent=2))
        return
    for status in found:
        state = "" if status.enabled else " (disabled)"
        click.echo(f"{status.name}: {status.outlet}{state}")
        last = show_time(status.last_success) or "never"
        click.echo(
            f"  last success {last}; articles {status.articles_24h} in 24 h, "
            f"{status.articles_7d} in 7 days"
        )
        if status.failures:
            listed = ", ".join(f"{r} ({n})" for r, n in status.failures.items())
            click.echo(f"  failures in 24 h: {listed}")
        for warning in status.warnings:
            click.echo(f"  WARNING: {warning.english()}")


@sources_group.command("init")
@click.option("--force", is_flag=True, help="Replace an existing sources.toml.")
@click.pass_context
def init_command(ctx: click.Context, force: bool) -> None:
    """Copy Warta's starter list of Indonesian outlets to DATA_DIR/sources.toml."""
    target = sources_path(ctx.obj["data_dir"])
    if target.exists() and not force:
        raise click.ClickException(
            f"{target} exists. Edit it, or pass --force to replace it with the starter list."
        )
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    target.write_text(starter_text(), "utf-8")
    click.echo(f"Wrote {target}. Run `warta sources check` to see what answers.")
