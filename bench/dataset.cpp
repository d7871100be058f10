#include "dataset.h"

#include "common/csv.h"
#include "lottery/agency/agency_csv_row.h"
#include "lottery/protocol/bet.h"

#include <QDate>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>

namespace lottery::bench {

namespace {

bool isBlank(std::string_view line)
{
    return line.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Counts the file as the agency reads it.
bool countFile(AgencyFile &file, QString *error)
{
    file.bytes = QFileInfo(file.path).size();
    return forEachValidBet(
        file.path,
        [&](const protocol::BetView &bet) {
            ++file.validBets;
            if (protocol::isWinner(bet))
                ++file.winners;
        },
        &file.invalidRows, error);
}

} // namespace

bool forEachValidBet(const QString &path,
    const std::function<void(const protocol::BetView &)> &onValid, qint64 *invalidRows,
    QString *error)
{
    QFile input(path);
    if (!input.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot open %1: %2").arg(path, input.errorString());
        return false;
    }
    const QDate date = QDate::currentDate();
    const protocol::CivilDate today {date.year(), date.month(), date.day()};
    CsvRowScratch scratch;
    protocol::BetView bet;
    std::string parseError;
    bool first = true;
    while (!input.atEnd()) {
        const QByteArray raw = input.readLine();
        std::string_view line(raw.constData(), static_cast<std::size_t>(raw.size()));
        if (first && line.substr(0, 3) == "\xEF\xBB\xBF")
            line.remove_prefix(3);
        first = false;
        if (isBlank(line))
            continue;
        if (!agency::parseAgencyCsvRow(line, scratch, bet, parseError)
            || protocol::validateBet(bet, today)) {
            ++*invalidRows;
            continue;
        }
        onValid(bet);
    }
    return true;
}

qint64 Dataset::totalBytes() const
{
    qint64 total = 0;
    for (const AgencyFile &file : files)
        total += file.bytes;
    return total;
}

qint64 Dataset::totalValidBets() const
{
    qint64 total = 0;
    for (const AgencyFile &file : files)
        total += file.validBets;
    return total;
}

QStringList Dataset::paths() const
{
    QStringList paths;
    for (const AgencyFile &file : files)
        paths.append(file.path);
    return paths;
}

Dataset scanDataset(const QString &dir, int agencies)
{
    Dataset dataset;
    for (int agency = 1; agencies == 0 || agency <= agencies; ++agency) {
        const QString path = QDir(dir).filePath(QStringLiteral("agency-%1.csv").arg(agency));
        if (!QFileInfo::exists(path)) {
            if (agencies == 0 && agency > 1)
                break;
            dataset.error = QStringLiteral("%1 does not exist").arg(path);
            return dataset;
        }
        AgencyFile file;
        file.agency = static_cast<quint32>(agency);
        file.path = path;
        if (!countFile(file, &dataset.error))
            return dataset;
        dataset.files.push_back(file);
    }
    dataset.ok = true;
    return dataset;
}

bool generateDataset(const QString &binDir, const QString &dir, int agencies, qint64 bets,
    quint64 seed, QString *error)
{
    QProcess datagen;
    datagen.setProcessChannelMode(QProcess::MergedChannels);
    datagen.start(QDir(binDir).filePath(QStringLiteral("lottery-datagen")),
        {QStringLiteral("--out"), dir, QStringLiteral("--agencies"), QString::number(agencies),
            QStringLiteral("--bets"), QString::number(bets), QStringLiteral("--seed"),
            QString::number(seed)});
    if (!datagen.waitForFinished(600000) || datagen.exitStatus() != QProcess::NormalExit
        || datagen.exitCode() != 0) {
        *error = QStringLiteral("lottery-datagen failed: %1 %2")
                     .arg(datagen.errorString(), QString::fromUtf8(datagen.readAll()));
        return false;
    }
    return true;
}

} // namespace lottery::bench
