#include "winner_lookup.h"

#include "lottery/agency/bet_file_reader.h"

#include <QHash>

#include <deque>

namespace lottery::gui {

WinnerLookupResult lookupWinners(
    const QString &path, const QStringList &documents, const std::function<bool()> &stop)
{
    WinnerLookupResult result;
    result.winners.reserve(documents.size());
    // Each document maps to the records still waiting for a row of the file.
    QHash<QString, std::deque<qsizetype>> waiting;
    for (const QString &document : documents) {
        waiting[document].push_back(result.winners.size());
        result.winners.append(WinnerRecord {document, {}, {}, -1, 0});
    }
    qsizetype unmatched = documents.size();

    agency::BetFileReader reader;
    if (!reader.open(path)) {
        result.errorString = reader.errorString();
        return result;
    }
    constexpr qint64 kStopCheckEvery = 4096;
    agency::BetRow row;
    qint64 rows = 0;
    while (unmatched > 0 && reader.readNext(row)) {
        if (stop && ++rows % kStopCheckEvery == 0 && stop()) {
            result.errorString = QStringLiteral("lookup of the winners was stopped");
            return result;
        }
        // The server stores only valid rows and draws only winning numbers: match those.
        if (!row.isValid() || !protocol::isWinner(*row.bet))
            continue;
        const auto it = waiting.find(QString::fromStdString(row.bet->document));
        if (it == waiting.end() || it->empty())
            continue;
        WinnerRecord &record = result.winners[it->front()];
        it->pop_front();
        --unmatched;
        record.firstName = QString::fromStdString(row.bet->firstName);
        record.lastName = QString::fromStdString(row.bet->lastName);
        record.number = row.bet->number;
        record.line = row.line;
    }
    if (reader.hasError()) {
        result.errorString = reader.errorString();
        return result;
    }
    result.ok = true;
    return result;
}

} // namespace lottery::gui
