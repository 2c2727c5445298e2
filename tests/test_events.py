"""The engine's lean event pieces behave as SimPy's own loop would."""

import pytest
import simpy

from simcc.model.events import Call, SelfScheduled, UrgentCall, process_events, schedule


class Token(SelfScheduled):
    __slots__ = ("name", "callbacks")

    def __init__(self, name: str):
        self.name = name


def test_process_events_orders_like_simpy_step():
    """Same times, priorities and insertion order as ``env.step()``: URGENT first at a
    tie, then the order of scheduling; the clock is each event's time."""
    def trace(env: simpy.Environment, seen: list) -> None:
        def note(label):
            return lambda event: seen.append((env.now, label))
        Call(env, 2.0, None, note("call 2"))
        Call(env, 1.0, None, note("call 1"))
        UrgentCall(env, 2.0, note("urgent 2"))
        schedule(env, 1.0, Token("t"), (note("token 1"),))
        env.timeout(3.0).callbacks.append(note("timeout 3"))

    ours, theirs = [], []
    env = simpy.Environment()
    trace(env, ours)
    assert process_events(env, 2)  # two processed, more to come
    assert not process_events(env, 100)
    env2 = simpy.Environment()
    trace(env2, theirs)
    env2.run()
    assert ours == theirs == [(1.0, "call 1"), (1.0, "token 1"), (2.0, "urgent 2"),
                              (2.0, "call 2"), (3.0, "timeout 3")]


def test_a_self_scheduled_object_is_its_own_event_and_payload():
    env = simpy.Environment()
    token, got = Token("a"), []
    schedule(env, 5.0, token, (got.append,))
    process_events(env, 10)
    assert got == [token] and token._value is token and env.now == 5.0
    schedule(env, 7.0, token, (lambda t: got.append(t.name),))  # re-armed after it ran
    process_events(env, 10)
    assert got == [token, "a"] and env.now == 7.0


def test_a_failed_event_is_raised_as_step_would():
    env = simpy.Environment()
    event = env.event()
    event.fail(ValueError("broken"))
    with pytest.raises(ValueError, match="broken") as caught:
        process_events(env, 10)
    assert isinstance(caught.value.__cause__, ValueError)
