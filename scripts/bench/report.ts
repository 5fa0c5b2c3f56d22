// Renders the README's benchmark table from a results report, each figure beside its bound.
type Results = Record<string, any>;

interface Row {
  what: string;
  figure: string;
  bound: string;
  met: boolean | null;
}

const status = (met: boolean | null) => (met === null ? 'no bound set' : met ? 'met' : '**not met**');

export function renderReadmeTable(report: { date: string; machine: Record<string, unknown>; results: Results }): string {
  const { pipeline, startup, package: sandboxPackage, throughput, stateful, growth, memory, client, size, soak } = report.results;
  const rows: Row[] = [];
  if (pipeline) {
    rows.push({ what: 'cold `npm run build` (clean generated/, docs/, dist/)', figure: `${(pipeline.coldBuildMs / 1000).toFixed(1)} s`, bound: '< 20 s', met: pipeline.coldBuildMs < 20_000 });
    rows.push({ what: 'no-op `npm run build`', figure: `${(pipeline.noopBuildMs / 1000).toFixed(2)} s`, bound: '< 2 s', met: pipeline.noopBuildMs < 2_000 });
  }
  if (startup) {
    rows.push({ what: '`npm start` until all five mocks answer', figure: `${(startup.startToAllAnsweringMs / 1000).toFixed(2)} s`, bound: '< 3 s', met: startup.startToAllAnsweringMs < 3_000 });
    rows.push({ what: 'resident memory of the `npm start` process tree', figure: `${startup.processTreeRssMb} MB`, bound: '< 400 MB', met: startup.processTreeRssMb < 400 });
  }
  if (sandboxPackage) {
    rows.push({
      what: 'installed `partner-api-sandbox start` until all five mocks answer ÷ a plain `prism mock` of one spec until it answers (started the same way)',
      figure: `${sandboxPackage.startRatio} (${sandboxPackage.startAllFiveMs} ms vs ${sandboxPackage.plainPrismOneSpecMs} ms)`,
      bound: '≤ 1',
      met: sandboxPackage.startRatio <= 1,
    });
    rows.push({ what: 'resident memory of the running installed sandbox (five mocks)', figure: `${sandboxPackage.runningRssMb} MB`, bound: '< 200 MB', met: sandboxPackage.runningRssMb < 200 });
    rows.push({
      what: 'the sandbox package: tarball, and what `npm install` puts in node_modules',
      figure: `${sandboxPackage.tarballKb} kB (${sandboxPackage.tarballFiles} files); ${sandboxPackage.installMb} MB`,
      bound: 'none',
      met: null,
    });
  }
  if (throughput) {
    for (const level of ['c10', 'c50']) {
      const t = throughput[level];
      if (!t) continue;
      const connections = level.slice(1);
      rows.push({
        what: `RedEx devices GET, ${connections} connections: ours / plain \`prism mock\` / raw node:http (req/s; p99 ms)`,
        figure: `${t.ours.requestsPerSecond} / ${t.plainPrism.requestsPerSecond} / ${t.rawNodeHttp.requestsPerSecond}; ${t.ours.p99Ms} / ${t.plainPrism.p99Ms} / ${t.rawNodeHttp.p99Ms}`,
        bound: `ours ≥ 0.5 × raw node:http (ratio ${t.oursVsRawNodeHttp}; to plain prism ${t.oursVsPlainPrism})`,
        met: t.oursVsRawNodeHttp >= 0.5,
      });
      if (t.oursUncached) {
        rows.push({
          what: `RedEx devices GET, ${connections} connections, every request a new URL (no answer served again from the cache): ours (req/s; p99 ms)`,
          figure: `${t.oursUncached.requestsPerSecond}; ${t.oursUncached.p99Ms}`,
          bound: `none (context: ${t.oursUncachedVsRawNodeHttp} × raw node:http)`,
          met: null,
        });
      }
    }
  }
  if (stateful) {
    rows.push({
      what: 'VTN create-then-get pairs, 10 connections: ours (stateful) / plain `prism mock` (examples) (pairs/s)',
      figure: `${stateful.oursPairsPerSecond} / ${stateful.plainPrismPairsPerSecond}`,
      bound: `ours ≥ 5 × plain prism (ratio ${stateful.oursVsPlainPrism})`,
      met: stateful.oursVsPlainPrism >= 5,
    });
  }
  if (growth) {
    rows.push({
      what: `VTN create-then-get as one tenant's subscriptions grow to ${growth.pairs}, ${growth.connections} connections: first hundred / last hundred (pairs/s)`,
      figure: `${growth.firstHundredPairsPerSecond} / ${growth.lastHundredPairsPerSecond}`,
      bound: `last within 20% of first, or faster (ratio ${growth.lastOverFirst})`,
      met: growth.lastOverFirst >= 0.8,
    });
  }
  if (memory) {
    rows.push({
      what: 'resident memory of the five mocks in one process (no reference site; tsx loader included), after traffic',
      figure: `${memory.residentMb} MB`,
      bound: '< 150 MB',
      met: memory.residentMb < 150,
    });
  }
  // After the memory row (the README table's order), but from the stateful suite's figures: either suite may run alone.
  if (stateful) {
    if (stateful.oursDurablePairsPerSecond !== undefined) {
      rows.push({
        what: 'VTN create-then-get pairs, 10 connections: ours with `--state-file` (each create fsynced before its 201) / ours in memory (pairs/s)',
        figure: `${stateful.oursDurablePairsPerSecond} / ${stateful.oursPairsPerSecond}`,
        bound: `ratio ${stateful.durableVsMemory}`,
        met: null,
      });
    }
    if (stateful.oursRedisPairsPerSecond !== undefined) {
      rows.push({
        what: 'VTN create-then-get pairs, 10 connections: ours with `--store redis://…` (one replica; each request holds its tenant, each create in Redis before its 201) / ours in memory (pairs/s)',
        figure: `${stateful.oursRedisPairsPerSecond} / ${stateful.oursPairsPerSecond}`,
        bound: `ratio ${stateful.redisVsMemory}`,
        met: null,
      });
    }
  }
  if (client) {
    rows.push({ what: 'generated client call (retries and timeout on) ÷ raw fetch of the same URL (median latency)', figure: `${client.clientOverFetchRatio} (${client.clientUs} µs vs ${client.rawFetchUs} µs)`, bound: '≤ 1.05', met: client.clientOverFetchRatio <= 1.05 });
  }
  if (size) {
    rows.push({ what: 'one API client with retries, timeouts, paginate and clientCredentials, beyond openapi-fetch (esbuild, minified, gzip; worst API)', figure: `${size.maxClientOverOpenapiFetchKb} kB`, bound: '≤ 3 kB', met: size.maxClientOverOpenapiFetchKb <= 3 });
    rows.push({ what: 'one API webhook receivers (esbuild, minified, gzip; worst API)', figure: size.maxReceiverGzipKb === null ? 'n/a' : `${size.maxReceiverGzipKb} kB`, bound: '≤ 6 kB', met: size.maxReceiverGzipKb === null ? null : size.maxReceiverGzipKb <= 6 });
  }
  if (soak) {
    const load = `${soak.connections} connections × ${soak.durationSeconds} s of mixed valid and invalid requests across the five mocks${soak.resetEveryMs ? `, tenants reset every ${soak.resetEveryMs / 1000} s` : ''}`;
    rows.push({ what: `soak, ${load}: socket errors (of ${soak.requests} requests)`, figure: `${soak.socketErrors}${soak.timeouts ? ` (${soak.timeouts} timeouts)` : ''}`, bound: '0', met: soak.socketErrors === 0 && soak.processAlive !== false });
    rows.push({ what: 'soak: 5xx answers', figure: `${soak.serverErrors}`, bound: '0', met: soak.serverErrors === 0 });
    rows.push({
      what: `soak: resident memory growth of the \`npm start\` process tree, second ${soak.rssFromSecond} to ${soak.durationSeconds}`,
      figure: `${soak.rssGrowthPercent}% (${soak.rssStartMb} → ${soak.rssEndMb} MB)`,
      bound: '< 10%',
      met: soak.rssGrowthPercent < 10,
    });
    if (soak.rssLowGrowthPercent !== undefined) {
      rows.push({
        what: `soak: low points of resident memory (after collections), seconds ${soak.rssFromSecond}–${soak.rssFromSecond + 10} vs the last 10`,
        figure: `${soak.rssLowGrowthPercent}% (${soak.rssLowFirstMb} → ${soak.rssLowLastMb} MB)`,
        bound: 'none (context for the row above)',
        met: null,
      });
    }
  }
  const machine = report.machine;
  const lines = [
    `Last run ${report.date.slice(0, 10)} on ${machine.cpus}, ${machine.memoryGiB} GiB, Node ${machine.node} (${machine.platform}); medians of ${pipeline?.runs ?? startup?.runs ?? 3} runs.`,
    '',
    '| benchmark | median | bound | status |',
    '| --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row.what} | ${row.figure} | ${row.bound} | ${status(row.met)} |`),
  ];
  return lines.join('\n');
}
