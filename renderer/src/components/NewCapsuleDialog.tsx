/**
 * "New capsule...": asks for a name, a driver number (checked against the boards' driver
 * table as it is typed) and whether to include a split-phase HIL client; lists the files the
 * host will write; then writes them and builds the selected board.
 *
 * Step 4's Run plugs in through the command registry: when a `session.run` command exists
 * (the debugging work registers it) the last step offers it, and runs the new app (with hello)
 * rather than the whole build, whose first 8 apps are all the kernel loads; until then the
 * dialog says how the built image can be run.
 */
import { useEffect, useState } from 'react';
import type { CapsulePlan, DriverTable } from '../../../main/common/contract';
import { useModel } from '../models/use';
import type { Studio } from '../studio';

const hex = (n: number): string => `0x${n.toString(16)}`;

export function parseDriverNumber(text: string): number | null {
  const t = text.trim().replace(/_/g, '');
  const n = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : /^\d+$/.test(t) ? Number(t) : NaN;
  return Number.isSafeInteger(n) && n >= 0 && n <= 0xffffffff ? n : null;
}

export function NewCapsuleDialog({ studio }: { studio: Studio }) {
  const { newCapsule } = useModel(studio.ui);
  const build = useModel(studio.build);
  const { board } = useModel(studio.project);
  const [table, setTable] = useState<DriverTable | null>(null);
  const [name, setName] = useState('');
  const [number, setNumber] = useState('');
  const [hil, setHil] = useState(false);
  const [plan, setPlan] = useState<CapsulePlan | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [created, setCreated] = useState<CapsulePlan | null>(null);
  const [buildId, setBuildId] = useState<number | null>(null);

  useEffect(() => {
    if (!newCapsule) return;
    setCreated(null);
    setBuildId(null);
    void studio.host.api.capsule.drivers({}).then((r) => {
      if (!r.ok) return setProblem(r.error.message);
      setTable(r.value);
      if (r.value.problem) setProblem(r.value.problem);
      let n = 0x90000;
      while (r.value.drivers.some((d) => d.number === n)) n++;
      setNumber((cur) => cur || hex(n));
    });
  }, [newCapsule, studio]);

  const driverNumber = parseDriverNumber(number);
  useEffect(() => {
    if (!newCapsule || created) return;
    setPlan(null);
    if (!name) return setProblem(null);
    if (driverNumber === null)
      return setProblem('The driver number must be a number (0x90000 or 589824).');
    const t = setTimeout(() => {
      void studio.host.api.capsule.plan({ name, driverNumber, hil }).then((r) => {
        if (r.ok) {
          setPlan(r.value);
          setProblem(null);
        } else setProblem(r.error.fix ? `${r.error.message}. ${r.error.fix}` : r.error.message);
      });
    }, 150);
    return () => clearTimeout(t);
  }, [name, driverNumber, hil, newCapsule, created, studio]);

  if (!newCapsule) return null;
  const close = (): void => studio.ui.update({ newCapsule: false });
  const taken = table?.drivers.find((d) => d.number === driverNumber);
  const runCommand = studio.commands.get('session.run');
  const ours = buildId !== null && build.buildId === buildId;

  const create = async (): Promise<void> => {
    if (driverNumber === null) return;
    const r = await studio.host.api.capsule.create({ name, driverNumber, hil });
    if (!r.ok) return setProblem(r.error.message);
    setCreated(r.value);
    await studio.project.refreshTree();
    await studio.workspace.open(`capsules/src/${r.value.name}.rs`);
    await studio.startBuild();
    setBuildId(studio.build.snapshot().buildId);
  };

  return (
    <div className="modal-backdrop">
      <div className="modal new-capsule" role="dialog" aria-label="New capsule">
        <h2>New capsule</h2>
        {!created && (
          <>
            <label>
              Name (snake_case)
              <input
                autoFocus
                value={name}
                placeholder="led_counter"
                onChange={(e) => setName(e.target.value.trim())}
              />
            </label>
            <label>
              Driver number
              <input value={number} onChange={(e) => setNumber(e.target.value)} />
            </label>
            <div className="hint">
              {taken
                ? `${hex(taken.number)} is taken by the ${taken.capsule} capsule.`
                : `In use on ${table?.boards.join(', ') || 'the boards'}: ${
                    table?.drivers.map((d) => `${hex(d.number)} ${d.capsule}`).join(', ') ?? '…'
                  }`}
            </div>
            <label className="check">
              <input type="checkbox" checked={hil} onChange={(e) => setHil(e.target.checked)} />
              Split-phase HIL client (a request that completes later with an upcall)
            </label>
            {problem && <div className="problem-text">{problem}</div>}
            {plan && (
              <div className="plan">
                <div>Capsule Studio will write:</div>
                <ul>
                  {plan.files.map((f) => (
                    <li key={f.path} data-action={f.action}>
                      {f.action === 'create' ? 'new ' : 'edit '}
                      <code>{f.path}</code>
                    </li>
                  ))}
                </ul>
              </div>
            )}
            <div className="buttons">
              <button onClick={close}>Cancel</button>
              <button className="primary" disabled={!plan} onClick={() => void create()}>
                Create and build
              </button>
            </div>
          </>
        )}
        {created && (
          <>
            <ol className="steps">
              <li className="done">
                Wrote <code>capsules/src/{created.name}.rs</code> (driver{' '}
                {hex(created.driverNumber)}).
              </li>
              <li className="done">
                Wired it into the driver table and{' '}
                {created.files.filter((f) => f.path.startsWith('boards/')).length} board
                composition(s).
              </li>
              <li className="done">
                Wrote the app <code>apps/{created.app}</code>, which calls it.
              </li>
              <li
                className={ours && build.finished ? build.finished.status : 'running'}
                data-step="build"
              >
                {!ours || build.running
                  ? `Building ${board}…`
                  : build.finished?.status !== 'succeeded'
                    ? `The build ${build.finished?.status ?? 'did not finish'}: see Build and Problems.`
                    : !build.summary
                      ? `Built ${board}: the kernel has the capsule.`
                      : build.summary.parts.some((p) => p.name === created.app)
                        ? `Built ${board}: the kernel has the capsule and the image has the app ${created.app}.`
                        : `Built ${board}: the kernel has the capsule; this build did not pack the apps (see the Build panel).`}
              </li>
              <li data-step="run">
                {runCommand ? (
                  <button
                    className="primary"
                    disabled={!studio.commands.enabled('session.run')}
                    onClick={() => {
                      close();
                      // The kernel loads at most 8 processes and a new app comes after the
                      // built ones, so Run loads it with hello (when built) only.
                      const built = build.summary?.parts.map((p) => p.name) ?? [];
                      const apps = [...(built.includes('hello') ? ['hello'] : []), created.app];
                      void studio.startSession('run', apps);
                    }}
                  >
                    Run
                  </button>
                ) : (
                  <>
                    Running it in the IDE arrives with the debugger. Until then, from a terminal
                    (the kernel runs 8 processes, so the app boots in an image of its own; the
                    command prints how to run it):{' '}
                    <code>
                      node scripts/apps.mjs compose --board {board} --apps hello,{created.app}{' '}
                      --project {studio.project.snapshot().info?.root ?? 'kernel'}
                    </code>
                  </>
                )}
              </li>
            </ol>
            <div className="buttons">
              <button onClick={close}>Close</button>
            </div>
          </>
        )}
      </div>
    </div>
  );
}
