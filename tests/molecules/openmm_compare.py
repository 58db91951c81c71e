#!/usr/bin/python3
"""Compare boltzbench peptide energies/forces with OpenMM (Debian python3-simtk, Reference platform).

Usage: openmm_compare.py SETUP DATA_DIR X.txt E.txt F.txt
  SETUP: fab | pita-aldp | pita-aldp-forcefield | pita-al3
  X.txt: one configuration per line (3P numbers, nm); E.txt: energies (kJ/mol); F.txt: forces (kJ/mol/nm).
Exit 0 when every energy agrees within 1e-4 kJ/mol and every force component within 1e-3 kJ/mol/nm,
1 otherwise, 77 when OpenMM is missing. Test-only helper (tests/molecules/test_openmm_compare.c).
"""
import os, sys
import numpy as np
try:
    import openmm as mm, openmm.app as app, openmm.unit as u
except ImportError:
    print("openmm not importable"); sys.exit(77)

setup, data, xf, ef, ff = sys.argv[1:6]
td = os.path.join(data, "..", "..", "..", "tasks", "molecules", "data")
if setup == "fab":
    system = app.AmberPrmtopFile(os.path.join(td, "aldp-ff96-mbondi2.prmtop")).createSystem(
        implicitSolvent=app.OBC1, constraints=None, nonbondedMethod=app.NoCutoff)
elif setup in ("pita-aldp", "pita-al3"):
    name = "aldp" if setup == "pita-aldp" else "al3"
    system = app.AmberPrmtopFile(os.path.join(td, "%s-ff14sb-mbondi2.prmtop" % name)).createSystem(
        implicitSolvent=app.OBC1, constraints=None, nonbondedMethod=app.CutoffNonPeriodic,
        nonbondedCutoff=2.0 * u.nanometer)
elif setup == "pita-aldp-forcefield":  # PITA's own construction: ForceField on the PDB topology
    pdb = app.PDBFile(os.path.join(data, "aldp-ff96-openmm-test.pdb"))
    system = app.ForceField("amber14-all.xml", "implicit/obc1.xml").createSystem(
        pdb.topology, nonbondedMethod=app.CutoffNonPeriodic, nonbondedCutoff=2.0 * u.nanometer, constraints=None)
else:
    sys.exit("unknown setup " + setup)
ctx = mm.Context(system, mm.VerletIntegrator(1e-3), mm.Platform.getPlatformByName("Reference"))
X = np.loadtxt(xf, ndmin=2); E = np.loadtxt(ef, ndmin=1); F = np.loadtxt(ff, ndmin=2)
de = df = 0.0
for x, e, f in zip(X, E, F):
    ctx.setPositions(x.reshape(-1, 3))
    st = ctx.getState(getEnergy=True, getForces=True)
    eo = st.getPotentialEnergy().value_in_unit(u.kilojoule_per_mole)
    fo = st.getForces(asNumpy=True).value_in_unit(u.kilojoule_per_mole / u.nanometer).ravel()
    de = max(de, abs(eo - e)); df = max(df, np.abs(fo - f).max())
etol = 1e-4  # the ForceField route agrees with the prmtop route to <= 1e-5 kJ/mol
print("%s: %d configurations, max|dE| %.3g kJ/mol, max|dF| %.3g kJ/mol/nm" % (setup, len(X), de, df))
sys.exit(0 if (de <= etol and df <= 1e-3 and len(X) == len(E) == len(F)) else 1)
