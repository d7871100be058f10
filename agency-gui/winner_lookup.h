// Finds the server's winning documents in the local bet file, for their names and numbers.
// Reads the whole file: call it from a worker thread.
#pragma once

#include "winners_model.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <functional>

namespace lottery::gui {

struct WinnerLookupResult {
    bool ok = false; // false: the file could not be read (errorString) or the lookup was stopped
    QString errorString;
    // One record per document, in the server's order. A document listed twice (two winning bets)
    // is matched with two different rows of the file.
    QList<WinnerRecord> winners;
};

// `stop` is polled now and then; returning true abandons the lookup.
WinnerLookupResult lookupWinners(
    const QString &path, const QStringList &documents, const std::function<bool()> &stop = {});

} // namespace lottery::gui
