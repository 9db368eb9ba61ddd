"""Web activity and link clicks: the store on both backends (PS-4), then tracked links and
``/t/events`` through real HTTP on a running bot (PS-3, PS-4)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import ClientResponse
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from bot.core.links import LinkSigner
from bot.http.tracking import MAX_BATCH, VISITOR_COOKIE, profile_activity
from bot.model import Identity
from stores.activity import MAX_EVENTS, SESSION_IDLE, ActivityStore
from stores.redis import Keys
from tests import rediscluster
from tests.conftest import Bot, BotFactory

# --- the store, on the real Redis and on the embedded one -----------------------------


async def test_events_are_kept_in_order_with_first_and_last_seen(store: Redis, prefix: str) -> None:
    activity = ActivityStore(store, Keys(prefix))
    first = await activity.record(
        "vid_a", {"type": "page_view", "url": "https://s.example/", "at": 100.0}
    )
    second = await activity.record_many(
        "vid_a",
        [
            {"type": "add_to_cart", "properties": {"sku": "A-1", "qty": 2}, "at": 110.0},
            {"type": "page_view", "url": "https://s.example/cart", "title": "Cart", "at": 120.0},
        ],
    )
    assert first == second, "events within the idle time share a session"
    events = await activity.events("vid_a")
    assert [e["type"] for e in events] == ["page_view", "add_to_cart", "page_view"]
    assert events[1]["properties"] == {"sku": "A-1", "qty": 2}
    assert events[2] == {
        "session": first,
        "type": "page_view",
        "at": 120.0,
        "url": "https://s.example/cart",
        "title": "Cart",
    }
    assert await activity.visitor("vid_a") == {
        "first_seen": 100.0,
        "last_seen": 120.0,
        "session": first,
    }
    assert await activity.events("vid_a", limit=1) == events[-1:]
    assert await activity.visitor("nobody") == {}


async def test_a_new_session_starts_after_the_idle_time(store: Redis, prefix: str) -> None:
    activity = ActivityStore(store, Keys(prefix))
    one = await activity.record("v", {"type": "page_view", "at": 1000.0})
    two = await activity.record("v", {"type": "page_view", "at": 1000.0 + SESSION_IDLE + 1})
    await activity.record("v", {"type": "x", "session": "tab-7"})
    assert one != two
    sessions = [event["session"] for event in await activity.events("v")]
    assert sessions == [one, two, "tab-7"], "a session the page names is kept as given"


async def test_a_visitor_keeps_only_the_latest_events(store: Redis, prefix: str) -> None:
    activity = ActivityStore(store, Keys(prefix))
    batch = [{"type": "tick", "properties": {"n": n}, "at": float(n + 1)} for n in range(1005)]
    await activity.record_many("v", batch)
    events = await activity.events("v", limit=5000)
    assert len(events) == MAX_EVENTS
    assert events[0]["properties"] == {"n": 5} and events[-1]["properties"] == {"n": 1004}
    assert (await activity.visitor("v"))["first_seen"] == 1.0


async def test_a_profile_reads_the_merged_history_of_its_visitors(
    store: Redis, prefix: str
) -> None:
    activity = ActivityStore(store, Keys(prefix))
    await activity.record_many("phone", [{"type": "a", "at": 1.0}, {"type": "c", "at": 3.0}])
    await activity.record_many("laptop", [{"type": "b", "at": 2.0}, {"type": "d", "at": 4.0}])
    merged = await activity.for_profile(["phone", "laptop", "phone"])
    assert [(e["type"], e["visitor"]) for e in merged] == [
        ("a", "phone"),
        ("b", "laptop"),
        ("c", "phone"),
        ("d", "laptop"),
    ]
    assert [e["type"] for e in await activity.for_profile(["phone", "laptop"], limit=2)] == [
        "c",
        "d",
    ]
    assert await activity.for_profile([]) == []


async def test_clicks_are_kept_on_the_visitor_and_the_profile(store: Redis, prefix: str) -> None:
    activity = ActivityStore(store, Keys(prefix))
    await activity.record_click("v1", "p_1", "m_1", "https://s.example/a", at=50.0)
    await activity.record_click("v2", "p_1", "m_2", "https://s.example/b", at=60.0)
    await activity.record_click("v3", "p_old", "m_0", "https://s.example/c", at=55.0)
    clicks = await activity.clicks("p_1")
    assert [(c["visitor"], c["message"], c["target"]) for c in clicks] == [
        ("v1", "m_1", "https://s.example/a"),
        ("v2", "m_2", "https://s.example/b"),
    ]
    assert [c["message"] for c in await activity.clicks_of(["p_1", "p_old"])] == [
        "m_1",
        "m_0",
        "m_2",
    ]
    assert [c["profile"] for c in await activity.visitor_clicks("v1")] == ["p_1"]
    assert await activity.visitor("v1") == {"first_seen": 50.0, "last_seen": 50.0, "session": ""}


async def test_erase_deletes_the_visitors_and_the_profile_clicks(store: Redis, prefix: str) -> None:
    activity = ActivityStore(store, Keys(prefix))
    await activity.record("v1", {"type": "page_view"})
    await activity.record_click("v1", "p_1", "m_1", "https://s.example/")
    await activity.record("v2", {"type": "page_view"})
    await activity.record("other", {"type": "page_view"})
    assert await activity.erase(["v1", "v2"], "p_1") == 6
    assert await activity.events("v1") == [] and await activity.visitor("v2") == {}
    assert await activity.clicks("p_1") == [] and await activity.visitor_clicks("v1") == []
    assert len(await activity.events("other")) == 1, "only the named visitors go"
    assert [key async for key in store.scan_iter(match=f"{prefix}*v1*")] == []


async def test_visitor_keys_share_one_hash_tag(store: Redis, prefix: str) -> None:
    activity = ActivityStore(store, Keys(prefix))
    tags = {activity.visitor_key("v9", part).split("}")[0] for part in ("events", "seen")}
    assert tags == {f"{prefix}{{v:v9"}
    assert activity.profile_clicks_key("p_1") == f"{prefix}{{p:p_1}}:clicks"


STORE_CASES = [
    test_events_are_kept_in_order_with_first_and_last_seen,
    test_a_new_session_starts_after_the_idle_time,
    test_a_visitor_keeps_only_the_latest_events,
    test_a_profile_reads_the_merged_history_of_its_visitors,
    test_clicks_are_kept_on_the_visitor_and_the_profile,
    test_erase_deletes_the_visitors_and_the_profile_clicks,
]
redis_cluster_nodes = rediscluster.redis_cluster_nodes
redis_cluster = rediscluster.redis_cluster


@pytest.mark.parametrize("case", STORE_CASES, ids=lambda case: case.__name__[5:])
async def test_the_store_on_a_cluster(
    case: Callable[[Redis, str], Awaitable[None]], redis_cluster: RedisCluster, prefix: str
) -> None:
    """No script and no multi-key command crosses a slot (PS-8)."""
    await case(redis_cluster, prefix)


# --- over HTTP, on a running bot --------------------------------------------------------


@pytest.fixture
async def bot(make_bot: BotFactory) -> AsyncIterator[Bot]:
    yield await make_bot(whatsapp=False, services=())


async def customer(bot: Bot, phone: str = "+447700900123") -> str:
    return await bot.runtime.profiles.resolve([Identity("phone", phone)], channel="whatsapp")


async def signer(bot: Bot) -> LinkSigner:
    return await bot.runtime.links.signer()


async def click(bot: Bot, path: str, vid: str | None = None, method: str = "GET") -> ClientResponse:
    """A browser that holds cookie ``vid`` (or none) follows ``path``."""
    bot.client.session.cookie_jar.clear()
    headers = {"Cookie": f"{VISITOR_COOKIE}={vid}"} if vid else {}
    return await bot.client.request(method, path, headers=headers, allow_redirects=False)


async def send_events(
    bot: Bot, body: Any, vid: str | None = None, origin: str | None = None
) -> ClientResponse:
    bot.client.session.cookie_jar.clear()
    headers = {"Content-Type": "application/json"}
    if vid:
        headers["Cookie"] = f"{VISITOR_COOKIE}={vid}"
    if origin:
        headers["Origin"] = origin
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await bot.client.post("/t/events", data=data, headers=headers)


def cookie_of(response: ClientResponse) -> str | None:
    morsel = response.cookies.get(VISITOR_COOKIE)
    return morsel.value if morsel else None


async def visitor_keys(bot: Bot) -> list[str]:
    pattern = f"{bot.runtime.keys.prefix}{{v:*"
    return [key async for key in bot.runtime.redis.scan_iter(match=pattern)]


async def lookup(bot: Bot, vid: str) -> str:
    return await bot.runtime.profiles.lookup(Identity("vid", vid))


async def test_a_click_sets_the_cookie_links_the_visitor_and_redirects(bot: Bot) -> None:
    ann = await customer(bot)
    target = "https://shop.example.com/offer?id=7"
    response = await click(bot, "/l/" + (await signer(bot)).sign(ann, "snd_1", target))
    assert response.status == 302
    assert response.headers["Location"] == target
    assert response.headers["Referrer-Policy"] == "no-referrer"
    set_cookie = response.headers["Set-Cookie"]
    for attribute in ("HttpOnly", "SameSite=Lax", "Max-Age=31536000", "Path=/"):
        assert attribute in set_cookie
    assert "Secure" not in set_cookie, "the public URL is http here"
    vid = cookie_of(response)
    assert vid and len(vid) >= 16
    assert await lookup(bot, vid) == ann
    activity = await profile_activity(bot.runtime.tracking, ann, 10)
    assert activity["visitors"] == [vid]
    assert [(c["message"], c["target"], c["visitor"]) for c in activity["clicks"]] == [
        ("snd_1", target, vid)
    ]


async def test_a_second_click_keeps_the_same_visitor(bot: Bot) -> None:
    ann = await customer(bot)
    link = await signer(bot)
    first = await click(bot, "/l/" + link.sign(ann, "snd_1", "https://s.example/1"))
    vid = cookie_of(first)
    second = await click(bot, "/l/" + link.sign(ann, "snd_2", "https://s.example/2"), vid)
    assert second.status == 302 and cookie_of(second) == vid
    activity = await profile_activity(bot.runtime.tracking, ann, 10)
    assert activity["visitors"] == [vid]
    assert [c["message"] for c in activity["clicks"]] == ["snd_1", "snd_2"]


async def test_a_shared_browser_gets_a_fresh_visitor_and_two_people_stay_apart(bot: Bot) -> None:
    ann, bob = await customer(bot, "+447700900123"), await customer(bot, "+447700900456")
    link = await signer(bot)
    ann_vid = cookie_of(await click(bot, "/l/" + link.sign(ann, "m_a", "https://s.example/a")))
    assert ann_vid
    response = await click(bot, "/l/" + link.sign(bob, "m_b", "https://s.example/b"), ann_vid)
    assert response.status == 302 and response.headers["Location"] == "https://s.example/b"
    bob_vid = cookie_of(response)
    assert bob_vid and bob_vid != ann_vid
    assert await lookup(bot, ann_vid) == ann and await lookup(bot, bob_vid) == bob
    assert await bot.runtime.profiles.root(ann) == ann
    assert await bot.runtime.profiles.root(bob) == bob, "never merged on a cookie"
    assert [
        c["visitor"] for c in (await profile_activity(bot.runtime.tracking, bob))["clicks"]
    ] == [bob_vid]
    assert (await profile_activity(bot.runtime.tracking, ann))["visitors"] == [ann_vid]


async def test_a_link_to_a_merged_profile_lands_on_the_survivor(bot: Bot) -> None:
    old, new = await customer(bot, "+447700900123"), await customer(bot, "+447700900456")
    link = (await signer(bot)).sign(new, "m_1", "https://s.example/")
    await bot.runtime.profiles.merge(old, new)
    vid = cookie_of(await click(bot, "/l/" + link))
    assert vid and await lookup(bot, vid) == old
    assert [
        c["profile"] for c in (await profile_activity(bot.runtime.tracking, new))["clicks"]
    ] == [old]


async def test_a_secure_cookie_when_the_public_url_is_https(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False, services=(), public_url="https://sb.example.com")
    link = (await signer(bot)).sign(await customer(bot), "m_1", "https://s.example/")
    response = await click(bot, "/l/" + link)
    assert response.status == 302 and "Secure" in response.headers["Set-Cookie"]


async def test_head_answers_the_redirect_but_is_nobodys_click(bot: Bot) -> None:
    ann = await customer(bot)
    response = await click(
        bot, "/l/" + (await signer(bot)).sign(ann, "m", "https://s.example/"), method="HEAD"
    )
    assert response.status == 302 and response.headers["Location"] == "https://s.example/"
    assert "Set-Cookie" not in response.headers
    assert await visitor_keys(bot) == []


async def test_forged_altered_truncated_or_huge_tokens_are_404_and_store_nothing(
    bot: Bot,
) -> None:
    ann = await customer(bot)
    token = (await signer(bot)).sign(ann, "m_1", "https://s.example/")
    altered = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    forged = LinkSigner(b"f" * 32, "http://x").sign(ann, "m_1", "https://evil.example/")
    for bad in (altered, token[:-3], forged, "A" * 4096, "nonsense", "..%2f..%2fetc"):
        for method in ("GET", "HEAD"):
            response = await click(bot, "/l/" + bad, method=method)
            assert response.status == 404, bad[:40]
            assert "Location" not in response.headers and "Set-Cookie" not in response.headers
            if method == "GET":
                assert "error" in await response.json()
    assert await visitor_keys(bot) == []
    assert (await profile_activity(bot.runtime.tracking, ann))["clicks"] == []


async def test_no_parameter_ever_chooses_the_redirect(bot: Bot) -> None:
    token = (await signer(bot)).sign(await customer(bot), "m_1", "https://s.example/ok")
    for query in (
        "?next=https://evil.example/",
        "?url=https://evil.example/&target=//evil.example",
        "?redirect=javascript:alert(1)",
        "/../../evil.example",
    ):
        response = await click(bot, "/l/" + token + query)
        assert response.headers.get("Location") in (None, "https://s.example/ok"), query


# --- /t/events --------------------------------------------------------------------------


async def test_events_of_a_known_visitor_land_on_the_profile(bot: Bot) -> None:
    ann = await customer(bot)
    vid = cookie_of(
        await click(bot, "/l/" + (await signer(bot)).sign(ann, "m", "https://s.example/"))
    )
    page = {"type": "page_view", "url": "https://s.example/p", "title": "Shoes", "referrer": ""}
    response = await send_events(bot, page, vid)
    assert response.status == 202
    assert await response.json() == {"visitor_id": vid, "accepted": 1, "profile": ann}
    assert "Set-Cookie" not in response.headers
    events = (await profile_activity(bot.runtime.tracking, ann))["events"]
    assert [(e["type"], e["url"], e["title"], e["visitor"]) for e in events] == [
        ("page_view", "https://s.example/p", "Shoes", vid)
    ]


async def test_anonymous_history_appears_on_the_profile_once_the_visitor_clicks(bot: Bot) -> None:
    ann = await customer(bot)
    batch = [
        {"type": "page_view", "url": "https://s.example/"},
        {"type": "signup.started", "url": "https://s.example/join", "properties": {"plan": "pro"}},
    ]
    response = await send_events(bot, batch)
    assert response.status == 202
    answer = await response.json()
    vid = answer["visitor_id"]
    assert answer == {"visitor_id": vid, "accepted": 2, "profile": None}
    assert cookie_of(response) == vid and "HttpOnly" in response.headers["Set-Cookie"]
    assert (await profile_activity(bot.runtime.tracking, ann))["events"] == []

    link = (await signer(bot)).sign(ann, "m_1", "https://s.example/offer")
    assert cookie_of(await click(bot, "/l/" + link, vid)) == vid
    events = (await profile_activity(bot.runtime.tracking, ann))["events"]
    assert [e["type"] for e in events] == ["page_view", "signup.started"]
    assert events[1]["properties"] == {"plan": "pro"}


async def test_another_browser_is_a_new_visitor_that_is_not_linked(bot: Bot) -> None:
    ann = await customer(bot)
    vid = cookie_of(
        await click(bot, "/l/" + (await signer(bot)).sign(ann, "m", "https://s.example/"))
    )
    response = await send_events(bot, {"type": "page_view", "url": "https://s.example/other"})
    answer = await response.json()
    assert response.status == 202 and answer["profile"] is None
    other = answer["visitor_id"]
    assert other != vid and await lookup(bot, other) == ""
    activity = ActivityStore(bot.runtime.redis, bot.runtime.keys)
    assert [e["url"] for e in await activity.events(other)] == ["https://s.example/other"]
    assert (await profile_activity(bot.runtime.tracking, ann))["events"] == []


async def test_a_snippet_on_another_origin_names_its_visitor_in_the_body(bot: Bot) -> None:
    body = {"type": "page_view", "url": "https://s.example/", "visitor_id": "v" * 22}
    response = await send_events(bot, body)
    assert response.status == 202 and (await response.json())["visitor_id"] == "v" * 22
    assert "Set-Cookie" not in response.headers
    # The cookie, when the browser sends one, wins over the body.
    response = await send_events(bot, body, vid="c" * 22)
    assert (await response.json())["visitor_id"] == "c" * 22


async def test_strings_are_kept_as_data_exactly_as_sent(bot: Bot) -> None:
    ann = await customer(bot)
    vid = cookie_of(
        await click(bot, "/l/" + (await signer(bot)).sign(ann, "m", "https://s.example/"))
    )
    title = "<script>alert('x')</script> Café ☕ مرحبا \U0001f600 &amp;"
    body = {
        "type": "page_view",
        "url": 'https://s.example/?q=<b>&x="1"',
        "title": title,
        "properties": {"note": "<img src=x onerror=alert(1)>", "n": 3, "ok": True, "none": None},
    }
    assert (await send_events(bot, body, vid)).status == 202
    (event,) = (await profile_activity(bot.runtime.tracking, ann))["events"]
    assert event["title"] == title and event["url"] == body["url"]
    assert event["properties"] == body["properties"]


def _event(**fields: Any) -> dict[str, Any]:
    return {"type": "page_view", "url": "https://s.example/", **fields}


BAD_BODIES: list[tuple[str, bytes | Any, str]] = [
    ("broken JSON", b'{"type": "page_view",', "not valid JSON"),
    ("not UTF-8", b'{"type": "\xff\xfe"}', "not valid JSON"),
    ("a scalar", 42, "one event"),
    ("a string", "page_view", "one event"),
    ("an empty list", [], "1 to 50"),
    ("51 events", [_event()] * (MAX_BATCH + 1), "1 to 50"),
    ("a list of lists", [[_event()]], "JSON object"),
    ("no type", {"url": "https://s.example/"}, "type"),
    ("a numeric type", _event(type=7), "type"),
    ("an HTML type", _event(type="<b>click</b>"), "type"),
    ("an upper-case type", _event(type="PageView"), "type"),
    ("a 65 character type", _event(type="a" * 65), "type"),
    ("a page view without url", {"type": "page_view"}, "url"),
    ("a javascript url", _event(url="javascript:alert(1)"), "http(s)"),
    ("a relative url", _event(url="/cart"), "http(s)"),
    ("a data referrer", _event(referrer="data:text/html,hi"), "http(s)"),
    ("a 3 KB url", _event(url="https://s.example/" + "a" * 3000), "longer than 2048"),
    ("a 10 KB title", _event(title="t" * 10_000), "title is longer"),
    ("a numeric title", _event(title=5), "title must be a string"),
    ("a NUL in the title", _event(title="a\x00b"), "control"),
    (
        "a lone surrogate",
        b'{"type":"page_view","url":"https://s.example/","title":"\\ud800"}',
        "unicode",
    ),
    ("properties as a list", _event(properties=[1, 2]), "JSON object"),
    ("nested properties", _event(properties={"a": {"b": 1}}), "flat"),
    ("a list property", _event(properties={"a": [1]}), "flat"),
    ("51 properties", _event(properties={f"k{n}": n for n in range(51)}), "at most 50"),
    ("a long property value", _event(properties={"a": "x" * 2000}), "longer than 1024"),
    ("a bad property name", _event(properties={"a b": 1}), "property names"),
    ("a huge number", _event(properties={"a": 10**20}), "2^53"),
    ("NaN", b'{"type":"x","properties":{"a":NaN}}', "NaN"),
    ("an infinite number", b'{"type":"x","properties":{"a":1e400}}', "finite"),
    ("an unknown field", _event(password="hunter2"), "unknown field"),
    ("a bad session", _event(session="a b"), "session"),
    ("a bad visitor_id", _event(visitor_id="short"), "visitor_id"),
    ("a visitor_id with a brace", _event(visitor_id="{" * 20), "visitor_id"),
    (
        "two visitors",
        [_event(visitor_id="a" * 20), _event(visitor_id="b" * 20)],
        "different visitor_ids",
    ),
    ("one bad event among good ones", [_event(), _event(), _event(type="")], "event 2: type"),
]


@pytest.mark.parametrize(
    ("body", "message"), [(b, m) for _, b, m in BAD_BODIES], ids=[n for n, _, _ in BAD_BODIES]
)
async def test_bad_events_get_a_clear_400_and_store_nothing(
    bot: Bot, body: Any, message: str
) -> None:
    response = await send_events(bot, body)
    assert response.status == 400
    assert message in (await response.json())["error"]
    assert "Set-Cookie" not in response.headers
    assert await visitor_keys(bot) == []


async def test_an_oversized_body_is_413_and_stores_nothing(bot: Bot) -> None:
    big = [_event(title="t" * 1000, properties={f"k{n}": "v" * 1000 for n in range(50)})] * 2
    response = await send_events(bot, big)
    assert response.status == 413 and "64 KiB" in (await response.json())["error"]

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        yield b'{"type": "page_view", "url": "https://s.example/", "title": "'
        for _ in range(70):
            yield b"x" * 1024
        yield b'"}'

    response = await bot.client.post("/t/events", data=chunks())
    assert response.status == 413
    assert await visitor_keys(bot) == []


# --- CORS -------------------------------------------------------------------------------


SHOP = "https://shop.example.com"


async def test_a_configured_origin_gets_cors_with_credentials(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False, services=(), tracking_origins=(SHOP, "https://b.example"))
    preflight = await bot.client.options(
        "/t/events",
        headers={"Origin": SHOP, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == SHOP
    assert preflight.headers["Access-Control-Allow-Credentials"] == "true"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]
    assert "Origin" in preflight.headers["Vary"]
    response = await send_events(bot, _event(), origin=SHOP)
    assert response.status == 202
    assert response.headers["Access-Control-Allow-Origin"] == SHOP
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in response.headers["Vary"]
    refused = await send_events(bot, _event(type="BAD"), origin=SHOP)
    assert refused.status == 400, "the page can read why its event was refused"
    assert refused.headers["Access-Control-Allow-Origin"] == SHOP


async def test_an_origin_not_configured_gets_no_cors_and_stores_nothing(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(whatsapp=False, services=(), tracking_origins=(SHOP,))
    for origin in ("https://evil.example", "https://shop.example.com.evil.example", "null"):
        preflight = await bot.client.options("/t/events", headers={"Origin": origin})
        assert preflight.status == 403
        assert "Access-Control-Allow-Origin" not in preflight.headers
        response = await send_events(bot, _event(), origin=origin)
        assert response.status == 403
        assert "Access-Control-Allow-Origin" not in response.headers
    assert await visitor_keys(bot) == []
    # Without an Origin header (a server, curl) or from the bot's own pages: no CORS needed.
    plain = await send_events(bot, _event())
    own = await send_events(bot, _event(), origin="http://127.0.0.1:8080")
    assert plain.status == own.status == 202
    assert "Access-Control-Allow-Origin" not in plain.headers
    assert "Access-Control-Allow-Origin" not in own.headers


async def test_no_origin_is_allowed_when_none_is_configured(bot: Bot) -> None:
    preflight = await bot.client.options("/t/events", headers={"Origin": SHOP})
    assert preflight.status == 403 and "Access-Control-Allow-Origin" not in preflight.headers


async def test_links_are_checked_with_the_signer_the_sender_uses(bot: Bot) -> None:
    signer = await bot.runtime.links.signer()
    assert await bot.runtime.links.signer() is signer
    ann = await customer(bot)
    text = signer.rewrite("Your offer: https://s.example/o.", ann, "snd_9")
    path = text.removeprefix("Your offer: " + bot.runtime.settings.public_url).removesuffix(".")
    response = await click(bot, path)
    assert response.status == 302 and response.headers["Location"] == "https://s.example/o"


async def test_the_activity_of_an_unknown_profile_is_a_lookup_error(bot: Bot) -> None:
    with pytest.raises(LookupError):
        await profile_activity(bot.runtime.tracking, "p_nobody")
