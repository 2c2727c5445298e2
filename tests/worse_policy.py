"""A deliberately worse routing policy (test fixture): arriving contacts go to the
*least* proficient idle agent. The regression check must catch it."""

from simcc.routing.builtin import SkillBased


class LeastProficient(SkillBased):
    """Like skill_based, but picks the least proficient idle eligible agent."""

    name = "least_proficient"

    def select_agent(self, contact, pools, view):
        for pool in reversed(pools):  # pools come most proficient first
            agent = pool.first()
            if agent is not None:
                return agent
        return None
