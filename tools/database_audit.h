// lottery-audit --database: the PostgreSQL store checked without trusting the server. Reads the
// rows with libpq itself (one REPEATABLE READ snapshot), recomputes each batch's CRC (over the
// rows in the file store's format, which the batch's `crc` fingerprints) and receipt, every
// agency's digest, the seal and the winners, and compares them with what the database records;
// with receipts, checks them against the rows. docs/AUDIT.md.
#pragma once

#include "common/agency_receipt.h"

#include <QString>
#include <QTextStream>

#include <utility>
#include <vector>

namespace lottery {

// 0 everything agrees, 1 discrepancies (one `DISCREPANCY:` line each), 2 the database cannot be
// read (or has no digests: a schema older than 3).
int auditDatabase(const QString &conninfo,
    const std::vector<std::pair<QString, AgencyReceipt>> &receipts, QTextStream &out);

} // namespace lottery
