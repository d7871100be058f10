// The agency files a run uses, and what they should produce: counted here, independently of the
// programs under test, so the benchmark can check the winners they report.
#pragma once

#include "lottery/protocol/messages.h"

#include <QString>
#include <QStringList>

#include <functional>
#include <vector>

namespace lottery::bench {

struct AgencyFile {
    quint32 agency = 0;
    QString path;
    qint64 bytes = 0;
    qint64 validBets = 0;
    qint64 invalidRows = 0;
    qint64 winners = 0; // valid rows with the winning number
};

struct Dataset {
    bool ok = false;
    QString error;
    std::vector<AgencyFile> files;

    qint64 totalBytes() const;
    qint64 totalValidBets() const;
    QStringList paths() const;
};

// Reads an agency file as the agency does: a UTF-8 BOM and blank lines skipped, every other row
// parsed and checked against the bet rules (today's date); `onValid` gets each valid bet in order
// (its views last until it returns), the others are counted in *invalidRows.
bool forEachValidBet(const QString &path,
    const std::function<void(const protocol::BetView &)> &onValid, qint64 *invalidRows,
    QString *error);

// DIR/agency-1.csv .. DIR/agency-K.csv; with agencies == 0, as many as exist from 1 on.
Dataset scanDataset(const QString &dir, int agencies);

// Runs lottery-datagen from `binDir` into `dir`.
bool generateDataset(const QString &binDir, const QString &dir, int agencies, qint64 bets,
    quint64 seed, QString *error);

} // namespace lottery::bench
