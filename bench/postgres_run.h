// The whole system on PostgreSQL against PostgreSQL's own floor, in one run: the COPY floor
// (postgres_floor.h) into one fresh database, then several lottery-server instances sharing
// another fresh database, the agencies spread over them; then the database itself is checked
// (every bet once) and the figures read back.
#pragma once

#include "dataset.h"
#include "postgres_floor.h"
#include "system_run.h"

#include <QString>
#include <QStringList>

namespace lottery::bench {

struct PostgresRunOptions {
    QString adminConninfo; // a maintenance database; the bench creates its own two
    SystemOptions system; // workDir, binDir, window, ...; database and servers are set here
    int servers = 2;
};

struct PostgresRunResult {
    bool ok = false; // everything ran; correctness is in `problems`
    QString error;
    CopyFloorResult floor;
    SystemResult run;
    qint64 databaseCommits = -1; // pg_stat_database.xact_commit delta over the run (reads too)
    qint64 storedBets = -1; // rows in the bets table after the run
    qint64 doubledBets = -1; // (agency, sequence, ordinal) stored more than once
    qint64 draws = -1; // rows in the draw table
    std::vector<BackendMemory> backends; // the servers' backends, read before they stopped
    QStringList problems;
};

PostgresRunResult runOnPostgres(const Dataset &dataset, const PostgresRunOptions &options);

} // namespace lottery::bench
