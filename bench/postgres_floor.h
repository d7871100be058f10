// PostgreSQL's own floor for the whole-system run, and what the bench reads from the database
// around it: the same rows as the agency files, loaded with COPY into the store's schema (one
// connection and one transaction per agency, all at once, synchronous_commit = on), the commits
// the database counted, and the peak RSS of the backends.
#pragma once

#include "dataset.h"

#include <QString>

#include <optional>
#include <vector>

namespace lottery::bench {

// A backend's peak RSS (VmHWM; it counts the shared buffers the backend touched).
struct BackendMemory {
    qint64 pid = 0;
    qint64 peakRssKib = -1; // -1: /proc/PID/status not readable
};

struct CopyFloorResult {
    bool ok = false;
    QString error;
    double seconds = 0; // the first COPY started -> the last COMMIT returned
    qint64 rows = 0;
    qint64 commits = 0; // one per agency
    std::vector<BackendMemory> backends; // the floor's connections, read before they close
};

// `conninfo` names the database (the store's schema already there); `batchBets` numbers the
// rows' (sequence, ordinal) as an agency with that batch size would. The rows are read and
// formatted before the clock starts: the floor is the database's time alone.
CopyFloorResult measureCopyFloor(const QString &conninfo, const Dataset &dataset, int batchBets);

// CREATE DATABASE `name` (dropped first if it exists) through the maintenance `adminConninfo`.
bool recreateDatabase(const QString &adminConninfo, const QString &name, QString *error);

// The first column of the first row of `sql`, as a number.
std::optional<qint64> queryNumber(const QString &conninfo, const char *sql, QString *error);

// pg_stat_database.xact_commit of the database `conninfo` connects to.
std::optional<qint64> committedTransactions(const QString &conninfo, QString *error);

// The peak RSS of every other client backend connected to the database `conninfo` names.
std::vector<BackendMemory> clientBackends(const QString &conninfo, QString *error);

} // namespace lottery::bench
