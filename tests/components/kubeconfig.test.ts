import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { contextServer, kubeconfigTexts, tokenKubeconfig } from "../../components/kubeconfig";

const YAML = `apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: {server: "https://192.0.2.1:6443"}
- name: b
  cluster: {server: "https://192.0.2.2:6443"}
contexts:
- name: first
  context: {cluster: a, user: u}
- name: second
  context: {cluster: b, user: u}
`;

describe("kubeconfig", () => {
    it("writes a token kubeconfig whose one context is current", () => {
        const config = JSON.parse(
            tokenKubeconfig({ name: "review", server: "https://192.0.2.1:6443", caData: "Q0E=", token: "t" }),
        );
        assert.equal(config["current-context"], "review");
        assert.deepEqual(config.contexts, [{ name: "review", context: { cluster: "review", user: "review" } }]);
        assert.deepEqual(config.clusters[0].cluster, {
            server: "https://192.0.2.1:6443",
            "certificate-authority-data": "Q0E=",
        });
        assert.deepEqual(config.users[0].user, { token: "t" });
    });

    const cases: [string, string, string | undefined][] = [
        ["the first context", "first", "https://192.0.2.1:6443"],
        ["another context", "second", "https://192.0.2.2:6443"],
        ["a context it does not have", "third", undefined],
    ];
    for (const [what, context, server] of cases) {
        it(`finds the API server of ${what}`, () => assert.equal(contextServer(YAML, context), server));
    }
    it("finds nothing in an empty document", () => assert.equal(contextServer("", "first"), undefined));

    describe("which files it reads", () => {
        let dir: string;
        const saved = process.env.KUBECONFIG;
        beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeconfig-test-"))));
        afterEach(() => {
            fs.rmSync(dir, { recursive: true });
            if (saved === undefined) delete process.env.KUBECONFIG;
            else process.env.KUBECONFIG = saved;
        });

        it("takes multi-line text as the contents, a single line as a path", () => {
            const file = path.join(dir, "config");
            fs.writeFileSync(file, YAML);
            assert.deepEqual(kubeconfigTexts(YAML), [YAML]);
            assert.deepEqual(kubeconfigTexts(file), [YAML]);
        });

        it("otherwise reads every existing file of $KUBECONFIG, in order", () => {
            const [one, two] = [path.join(dir, "one"), path.join(dir, "two")];
            fs.writeFileSync(one, "a: 1\n");
            fs.writeFileSync(two, "b: 2\n");
            process.env.KUBECONFIG = [one, path.join(dir, "missing"), two].join(path.delimiter);
            assert.deepEqual(kubeconfigTexts(undefined), ["a: 1\n", "b: 2\n"]);
        });
    });
});
