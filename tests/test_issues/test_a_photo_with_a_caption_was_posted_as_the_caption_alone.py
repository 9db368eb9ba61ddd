"""A customer's photo (or file) with a caption was posted to the team chat as the caption
alone: "look", with nothing saying a photo came, where the same file with no caption was
posted as ``[image]``. An agent answering from the team chat could not tell the customer
had sent a picture. The post says the kind before the caption: ``[image] look``."""

from __future__ import annotations

from typing import Any

from tests.test_flows_runtime import posts, telegram  # noqa: F401 (a fixture)

CUSTOMER = 5551077


async def test_the_post_of_a_captioned_photo_says_it_is_one(telegram: Any) -> None:  # noqa: F811
    _, api, team_chat = telegram
    api.customer_text(CUSTOMER, "hello", first_name="Bob")
    await api.wait_until(lambda: len(api.messages_to(CUSTOMER)) >= 1, timeout=10)
    api.photo(CUSTOMER, caption="look", first_name="Bob")
    api.document(CUSTOMER, caption="the form", first_name="Bob")
    await api.wait_until(lambda: len(posts(api, team_chat, "Bob")) >= 3, timeout=10)
    shown = [post.split("\n")[1] for post in posts(api, team_chat, "Bob")]
    assert shown[1:] == ["[image] look", "[document] the form"]
