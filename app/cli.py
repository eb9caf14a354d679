"""The `ejia` command: serve, migrate, create-admin, demo, tick, audit-ledger, reconcile."""

import asyncio
import json

import typer

from app.config import get_settings

cli = typer.Typer(help="党建e家 — 社区党建联盟平台", no_args_is_help=True, add_completion=False)


@cli.command()
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1, reload: bool = False) -> None:
    """Run the web server (API and pages)."""
    import uvicorn

    uvicorn.run(
        "app.main:app",
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        forwarded_allow_ips=get_settings().forwarded_allow_ips,
        log_level="info",
    )


@cli.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    from app import migrate as m

    m.upgrade(get_settings().database_url)
    typer.echo("数据库已是最新结构")


@cli.command("create-admin")
def create_admin(
    phone: str = typer.Option(...),
    name: str = typer.Option(...),
    alliance: str = typer.Option("党建联盟总站", help="name of the root alliance if none exists"),
) -> None:
    """Make an admin on the root alliance node, creating the node if there is none (migrates first)."""
    from app import migrate as m
    from app.demo.bootstrap import create_admin as do_create
    from app.errors import AppError

    m.upgrade(get_settings().database_url)
    try:
        user_id, org_id = asyncio.run(
            _with_db(lambda s: do_create(s, phone=phone, name=name, alliance_name=alliance))
        )
    except AppError as error:
        typer.echo(f"未能设置管理员：{error.detail}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"已设置管理员：用户 {user_id}，联盟总站 {org_id}")


@cli.command()
def demo(
    reset: bool = typer.Option(
        False, help="drop every table first (ALL data is lost) and load the demo afresh; not in prod"
    ),
) -> None:
    """Load a believable demo county (migrates first)."""
    from app import migrate as m
    from app.demo import load_demo

    settings = get_settings()
    if reset:
        if settings.env == "prod":
            typer.echo("生产环境不能清空数据重新载入演示数据", err=True)
            raise typer.Exit(1)
        # Every migration backwards, then forwards again: no table keeps a row, and ids start at 1.
        m.downgrade(settings.database_url, "base")
    m.upgrade(settings.database_url)
    loaded = asyncio.run(_with_db(lambda s: load_demo(s, force=reset)))
    if reset:
        typer.echo("已清空数据库，演示数据已重新载入")
    else:
        typer.echo("演示数据已载入" if loaded else "数据库已有数据，跳过演示数据（--reset 清空后重新载入）")


@cli.command()
def tick() -> None:
    """Run every timed job once (overdue claims, expiries, escalations) — for cron."""
    from app import scheduler
    from app.db import Database

    async def run():
        db = Database(get_settings())
        try:
            return await scheduler.run_once(db)
        finally:
            await db.dispose()

    typer.echo(json.dumps(asyncio.run(run()), ensure_ascii=False))


@cli.command("audit-ledger")
def audit_ledger() -> None:
    """Verify the time bank: entries sum to zero, balances equal their entries, the hash chain is intact."""
    from app.services import ledger

    async def run():
        from app.db import Database

        db = Database(get_settings())
        try:
            async with db.session(write=False) as session:  # a reader: postings go on meanwhile
                return await ledger.verify(session)
        finally:
            await db.dispose()

    check = asyncio.run(run())
    if not check.ok:
        for line in check.problems:
            typer.echo(line, err=True)
        typer.echo(f"账本校验失败 (ledger audit FAILED): {len(check.problems)} 处问题", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"账本完好 (ledger OK): {check.transactions} 笔流水，分录合计 {check.entries_sum} 分钟，哈希链完整"
    )


@cli.command()
def reconcile(
    start: str = typer.Option(None, "--from", help="first day, YYYY-MM-DD (default: 12 months back)"),
    end: str = typer.Option(None, "--to", help="last day, YYYY-MM-DD (default: today)"),
) -> None:
    """Prove the ledger and the records agree: every service credit has its source and vice versa,
    per node and month the stats' minutes equal the ledger's, monthly series sum to the period."""
    from datetime import date

    from app.services import reconcile as reconcile_service

    async def run():
        from app.db import Database

        db = Database(get_settings())
        try:
            async with db.session(write=False, report=True) as session:
                return await reconcile_service.reconcile(
                    session,
                    start=date.fromisoformat(start) if start else None,
                    end=date.fromisoformat(end) if end else None,
                )
        finally:
            await db.dispose()

    result = asyncio.run(run())
    if not result.ok:
        for line in result.problems:
            typer.echo(line, err=True)
        typer.echo(f"对账不符 (reconcile FAILED): {len(result.problems)} 处问题", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"对账相符 (reconcile OK): {result.credits} 笔服务记入均有来源记录，"
        f"{result.sources} 条来源记录均已记入，{result.periods} 个节点月份的统计与账本一致"
    )


async def _with_db(fn):
    from app.db import Database

    db = Database(get_settings())
    try:
        async with db.session() as session:
            return await fn(session)
    finally:
        await db.dispose()


def main() -> None:
    cli()
