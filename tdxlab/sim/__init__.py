"""Simulation: VPs stepping through VTL switches on real byte layouts, with an isolation checker.

The core imports no plotting or UI library.  Entry points: :class:`~tdxlab.sim.machine.Simulation`,
:func:`~tdxlab.sim.trace.load_trace`, :data:`~tdxlab.sim.designs.DESIGNS`.
"""
