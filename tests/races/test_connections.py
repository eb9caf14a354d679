"""One pooled connection per request (issue 12): a request's lookups and its numbers share one."""

from sqlalchemy import event

from tests.factories import auth, make_tree, make_user


async def test_stats_and_lists_check_out_one_connection_per_request(live):
    async with live.db.session() as s:
        tree = await make_tree(s)
        admin = await make_user(s, role=(tree.alliance, "admin"))
    checkouts = []

    def counted(*_args) -> None:
        checkouts.append(1)

    event.listen(live.db.engine.sync_engine, "checkout", counted)
    try:
        async with live.client() as c:
            for url in (f"/api/v1/orgs/{tree.community.id}/stats", "/api/v1/me"):
                checkouts.clear()
                resp = await c.get(url, headers=auth(admin))
                assert resp.status_code == 200, resp.text
                assert len(checkouts) == 1, url
    finally:
        event.remove(live.db.engine.sync_engine, "checkout", counted)


async def test_app_connections_run_without_jit(live):
    """PostgreSQL's JIT compiles any plan above jit_above_cost; the app's connections turn it off."""
    if live.db.engine.dialect.name != "postgresql":
        return  # SQLite has no JIT
    from sqlalchemy import text

    async with live.db.session(write=False) as s:
        assert (await s.exec(text("SHOW jit"))).scalar() == "off"
