#!/usr/bin/python3
"""Generate cutoff-reference.json: OpenMM 7.7 (Debian python3-simtk, Reference platform, float64)
energies and forces with CutoffNonPeriodic cutoffs short enough that many pairs lie beyond them
(0.5 and 0.7 nm on ALDP, 0.9 nm on AL3), so the hard LJ cut, the reaction-field and GB shifts and
the Born-integral skip are all exercised. Positions: the shipped crd/inpcrd files (Å -> nm) and a
stretched copy (every coordinate × 1.15 about the centroid). Made for boltzbench on 2026-11-25:
  /usr/bin/python3 tests/molecules/data/make_cutoff_reference.py > tests/molecules/data/cutoff-reference.json
"""
import json, os
import numpy as np
import openmm as mm, openmm.app as app, openmm.unit as u

TD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tasks", "molecules", "data")
cases = []
for prm, crd, cut in [("aldp-ff96-mbondi2.prmtop", "aldp-ff96-mbondi2.crd", 0.5),
                      ("aldp-ff14sb-mbondi2.prmtop", "aldp-ff14sb-mbondi2.inpcrd", 0.7),
                      ("al3-ff14sb-mbondi2.prmtop", "al3-ff14sb-mbondi2.inpcrd", 0.9)]:
    system = app.AmberPrmtopFile(os.path.join(TD, prm)).createSystem(
        implicitSolvent=app.OBC1, constraints=None, nonbondedMethod=app.CutoffNonPeriodic,
        nonbondedCutoff=cut * u.nanometer)
    ctx = mm.Context(system, mm.VerletIntegrator(1e-3), mm.Platform.getPlatformByName("Reference"))
    x0 = np.asarray(app.AmberInpcrdFile(os.path.join(TD, crd)).getPositions(asNumpy=True).value_in_unit(u.nanometer))
    for label, x in [("file", x0), ("stretched", x0.mean(0) + 1.15 * (x0 - x0.mean(0)))]:
        ctx.setPositions(x)
        st = ctx.getState(getEnergy=True, getForces=True)
        d = np.linalg.norm(x[:, None] - x[None], axis=-1)[np.triu_indices(len(x), 1)]
        cases.append({"prmtop": prm, "cutoff_nm": cut, "positions": label,
                      "pairs_beyond_cutoff": int((d >= cut).sum()), "pairs": int(d.size),
                      "E_kJmol": st.getPotentialEnergy().value_in_unit(u.kilojoule_per_mole),
                      "forces_kJmol_nm": st.getForces(asNumpy=True).value_in_unit(u.kilojoule_per_mole / u.nanometer).tolist(),
                      "positions_nm": x.tolist()})
print(json.dumps({"openmm_version": mm.__version__, "platform": "Reference (double precision)",
                  "generator": "tests/molecules/data/make_cutoff_reference.py", "cases": cases}, indent=1))
