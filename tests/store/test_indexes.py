"""The served catalog generation and the nodes' reports, on SQLite and PostgreSQL."""

from __future__ import annotations

from refbot.store import Store
from refbot.store.indexes import NodeIndex, ServedIndex
from tests.store.conftest import START, Clock


async def test_nothing_is_served_before_a_build_is_recorded(store: Store) -> None:
    assert await store.served_index("default") is None
    assert await store.node_indexes("default") == []


async def test_the_latest_recorded_generation_is_served(store: Store, clock: Clock) -> None:
    first = await store.record_served_index("default", "gen-1", "refbot index build on lib-a")
    assert first == ServedIndex("default", "gen-1", START, "refbot index build on lib-a")
    clock.advance(60)
    await store.record_served_index("default", "gen-2", "refbot index build on lib-b")
    assert await store.served_index("default") == ServedIndex("default", "gen-2", START + 60, "refbot index build on lib-b")


async def test_recording_the_same_generation_again_renews_when_it_was_set(store: Store, clock: Clock) -> None:
    await store.record_served_index("default", "gen-1", "refbot index build on lib-a")
    clock.advance(30)
    await store.record_served_index("default", "gen-1", "refbot index update on lib-a")
    served = await store.served_index("default")
    assert served is not None
    assert (served.generation, served.set_at, served.set_by) == ("gen-1", START + 30, "refbot index update on lib-a")


async def test_each_library_has_its_own_generation(store: Store) -> None:
    await store.record_served_index("default", "gen-1")
    await store.record_served_index("branch", "gen-9")
    served = await store.served_index("default")
    assert served is not None and served.generation == "gen-1"


async def test_each_node_keeps_its_latest_report(store: Store, clock: Clock) -> None:
    await store.report_node_index("lib-a:100", "default", "gen-1")
    clock.advance(5)
    await store.report_node_index("lib-b:200", "default", "gen-1")
    clock.advance(5)
    await store.report_node_index("lib-a:100", "default", "gen-2")
    assert await store.node_indexes("default") == [
        NodeIndex("lib-a:100", "default", "gen-2", START + 10),
        NodeIndex("lib-b:200", "default", "gen-1", START + 5),
    ]
    assert await store.node_indexes("branch") == []


async def test_reports_of_nodes_long_gone_are_forgotten(store: Store, clock: Clock) -> None:
    await store.report_node_index("lib-a:100", "default", "gen-1")
    clock.advance(3600)
    await store.report_node_index("lib-a:300", "default", "gen-1")
    assert await store.forget_node_indexes_before(START + 60) == 1
    assert [n.node for n in await store.node_indexes("default")] == ["lib-a:300"]
