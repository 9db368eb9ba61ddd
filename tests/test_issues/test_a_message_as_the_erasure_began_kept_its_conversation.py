"""A customer erased while they were writing: their SMS, stitched to their profile a
moment before the erasure's suppression, began a conversation after the erasure had read
the profile's conversations. That conversation was never erased: its text stayed in the
API and the timeline, under the erased profile's id, and a later profile of the same
phone inherited it. The erasure now takes the conversations the profile names as it is
emptied, one begun meanwhile included."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Sequence

from bot.config.settings import SMSSettings
from bot.model import Identity, conversation_id
from stores.pipeline import Rider
from stores.profile_records import Resolution, Sighting
from tests.conftest import BotFactory, free_port
from tests.emulators.twilio_api import TwilioEmulator
from tests.test_api import say
from tests.test_notifications import until
from tests.test_sms_channel import ACCOUNT, CUSTOMER, OURS, SMSBot

WA_ID = CUSTOMER.removeprefix("+")


@contextlib.asynccontextmanager
async def on_whatsapp_and_sms(make_bot: BotFactory) -> AsyncIterator[SMSBot]:
    """One bot with a WhatsApp number and an SMS number."""
    token = secrets.token_hex(16)
    async with TwilioEmulator(ACCOUNT, token) as twilio:
        port = free_port()
        public = f"http://127.0.0.1:{port}"
        bot = await make_bot(
            port=port, public_url=public, sms=SMSSettings(ACCOUNT, token, OURS, twilio.base_url)
        )
        yield SMSBot(bot, twilio, f"{public}/webhooks/sms")


async def test_a_conversation_begun_as_the_erasure_began_is_erased(make_bot: BotFactory) -> None:
    async with on_whatsapp_and_sms(make_bot) as both:
        runtime = both.bot.runtime
        await say(both.bot, "hello on WhatsApp", WA_ID)
        profile = await runtime.profiles.lookup(Identity("phone", CUSTOMER))
        assert profile
        sms = conversation_id(f"sms:{OURS}", Identity("phone", CUSTOMER))
        suppress = runtime.profiles.suppress

        async def writing_meanwhile(
            identities: Sequence[Identity], profile_ids: Sequence[str], at: float
        ) -> None:
            # The customer's SMS lands, and is stitched to them, between the erasure's
            # read of their profile and its suppression of their identities.
            assert await both.text("SECRET after the read") == 200
            assert (await runtime.conversations.meta(sms)).get("profile") == profile
            await suppress(identities, profile_ids, at)

        runtime.profiles.suppress = writing_meanwhile  # type: ignore[method-assign]
        try:
            summary = await runtime.profile_book.erase(profile)
        finally:
            del runtime.profiles.suppress

        assert summary["conversations"] == 2
        meta = await runtime.conversations.meta(sms)
        assert meta.get("customer") == "erased", meta
        timeline = await runtime.conversations.timeline(sms)
        assert all("SECRET" not in str(message) for message in timeline), timeline
        assert await runtime.profiles.lookup(Identity("phone", CUSTOMER)) == ""


async def test_a_conversation_recorded_after_the_erasure_is_erased(make_bot: BotFactory) -> None:
    """The message found the person before the erasure, and its record came after it."""
    async with on_whatsapp_and_sms(make_bot) as both:
        runtime = both.bot.runtime
        await say(both.bot, "hello on WhatsApp", WA_ID)
        profile = await runtime.profiles.lookup(Identity("phone", CUSTOMER))
        sms = conversation_id(f"sms:{OURS}", Identity("phone", CUSTOMER))
        resolve_many = runtime.profiles.resolve_many

        async def erased_meanwhile(
            sightings: Sequence[Sighting], also: Rider | None = None
        ) -> list[Resolution]:
            found = await resolve_many(sightings, also)
            if any(s.channel == "sms" for s in sightings):  # stitched: now the erasure
                await runtime.profile_book.erase(profile)
            return found

        runtime.profiles.resolve_many = erased_meanwhile  # type: ignore[method-assign]
        try:
            assert await both.text("SECRET after the erasure's read") == 200
        finally:
            del runtime.profiles.resolve_many

        async def erased() -> bool:
            return (await runtime.conversations.meta(sms)).get("customer") == "erased"

        await until(erased, what="the late conversation erased")
        timeline = await runtime.conversations.timeline(sms)
        assert all("SECRET" not in str(message) for message in timeline), timeline
        assert f"c:{sms}" not in await runtime.redis.hkeys(runtime.keys.profile(profile))
