"""Routing policies on hand-built views, without SimPy."""

from dataclasses import dataclass, field

import pytest

from simcc.errors import ScenarioError
from simcc.routing import make_policy, registered_policies


@dataclass
class FakeContact:
    id: int
    priority: int
    queued_s: float
    skill: str = "general"


@dataclass
class FakeAgent:
    name: str
    idle_since_s: float


@dataclass
class FakePool:
    group: str
    skills: dict
    agents: list = field(default_factory=list)

    def proficiency(self, skill):
        return self.skills.get(skill, 0.0)

    def first(self):
        return min(self.agents, key=lambda a: a.idle_since_s) if self.agents else None


@dataclass
class FakeQueue:
    priority: int
    contacts: list = field(default_factory=list)
    asynchronous: bool = False

    def head(self):
        return self.contacts[0] if self.contacts else None


def test_builtins_are_registered():
    assert {"fifo", "skill_based"} <= set(registered_policies())


def test_skill_based_takes_higher_priority_then_longest_waiting():
    policy = make_policy("skill_based", {})
    queues = [FakeQueue(1, [FakeContact(1, 1, 10.0)]), FakeQueue(3, [FakeContact(2, 3, 50.0)]),
              FakeQueue(3, [FakeContact(3, 3, 40.0)])]
    assert policy.select_contact(None, queues, None).id == 3


def test_fifo_ignores_priority():
    policy = make_policy("fifo", {})
    queues = [FakeQueue(1, [FakeContact(1, 1, 10.0)]), FakeQueue(3, [FakeContact(2, 3, 5.0)])]
    assert policy.select_contact(None, queues, None).id == 2


def test_skill_based_picks_most_proficient_then_longest_idle():
    policy = make_policy("skill_based", {})
    pools = [FakePool("a", {"general": 0.6}, [FakeAgent("a1", 0.0)]),
             FakePool("b", {"general": 0.9}, [FakeAgent("b1", 30.0), FakeAgent("b2", 20.0)])]
    assert policy.select_agent(FakeContact(1, 1, 0.0), pools, None).name == "b2"


def test_fifo_picks_longest_idle_across_groups():
    policy = make_policy("fifo", {})
    pools = [FakePool("a", {"general": 0.6}, [FakeAgent("a1", 5.0)]),
             FakePool("b", {"general": 0.9}, [FakeAgent("b1", 30.0)])]
    assert policy.select_agent(FakeContact(1, 1, 0.0), pools, None).name == "a1"


def test_nothing_to_pick_gives_none():
    for name in ("fifo", "skill_based"):
        policy = make_policy(name, {})
        assert policy.select_agent(FakeContact(1, 1, 0.0), [FakePool("a", {})], None) is None
        assert policy.select_contact(None, [FakeQueue(1)], None) is None


def test_user_policy_by_import_path_and_bad_params():
    policy = make_policy("simcc.routing.builtin:SkillBased", {})
    assert policy.name == "skill_based"
    with pytest.raises(ScenarioError, match="routing.params"):
        make_policy("fifo", {"unknown_param": 1})
    with pytest.raises(ScenarioError, match="has no class"):
        make_policy("simcc.routing.builtin:Nope", {})
