"""The pipeline's first step, the shape of an event: each refusal, exactly."""

from __future__ import annotations

import pytest

from imi_cli.protocol.pipeline import check_shape
from imi_cli.protocol.refusal import Refusal

EVENT = {"id": "e1", "type": "message.sent", "at": "2026-01-05T09:00:00.000Z",
         "actor": {"user": "hu.kovacs", "authority": "HU-MEK"}, "audience": ["HU-MEK"],
         "subject": {"entity": "message/e1", "version": 0}, "payload": {}, "signature": {"by": "hu.kovacs", "sig": "x"}}


def test_a_well_formed_event_passes():
    assert check_shape(EVENT) is None


@pytest.mark.parametrize(("event", "message", "params"), [
    ([], "an event must be a JSON object", {}),
    ({k: v for k, v in EVENT.items() if k != "payload"}, "field 'payload' is missing or of the wrong type",
     {"field": "payload"}),
    ({**EVENT, "id": 5}, "field 'id' is missing or of the wrong type", {"field": "id"}),
    ({**EVENT, "audience": "HU-MEK"}, "field 'audience' is missing or of the wrong type", {"field": "audience"}),
    ({**EVENT, "extra": 1}, "unknown top-level fields", {}),
    ({**EVENT, "actor": {"user": "hu.szabo", "authority": "HU-MEK"}}, "the signer is not the actor", {}),
    ({**EVENT, "actor": {**EVENT["actor"], "role": "x"}}, "an actor is a user and an authority", {}),
])
def test_each_malformed_shape_is_refused_exactly(event, message, params):
    with pytest.raises(Refusal) as refused:
        check_shape(event)
    assert (refused.value.reason, refused.value.message, refused.value.params) == ("invalid", message, params)
