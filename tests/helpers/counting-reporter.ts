// mocha's spec reporter, which also appends the run's counts to $TEST_COUNTS_FILE as one JSON line,
// {"passed":N,"failed":N,"pending":N,"nodeMode":...}, the line tools/testreport writes for the Go suites:
// scripts/test.sh sums numbers instead of reading them out of text. nodeMode is the engine suite's
// (E2E_NODE_MODE, set by with-local-cluster.sh for the run), null elsewhere. Named in .mocharc.json.
import * as fs from "node:fs";
import * as Mocha from "mocha";

class CountingReporter extends Mocha.reporters.Spec {
    constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
        super(runner, options);
        runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
            const file = process.env.TEST_COUNTS_FILE;
            if (!file) return;
            const { passes, failures, pending } = this.stats;
            const { E2E_NODE_MODE: mode, E2E_NODE_MODE_REASON: reason } = process.env;
            const nodeMode = mode ? (reason ? `${mode} (${reason})` : mode) : null;
            fs.appendFileSync(file, JSON.stringify({ passed: passes, failed: failures, pending, nodeMode }) + "\n");
        });
    }
}

export = CountingReporter;
