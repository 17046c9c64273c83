"""Probes of a diatomic dissociation curve: metrics against a reference (:mod:`.metrics`,
:mod:`.measure`), a pass/fail verdict on the physics (:mod:`.verdict`) and a grade on the numbers
(:mod:`.grade`), typed results (:mod:`.results`, :mod:`.probe_result`), one curve
(:mod:`.curves`) and many (:mod:`.suite`). Nothing is imported here, so that
:mod:`astray.systems` can read the region thresholds without importing the probes."""
