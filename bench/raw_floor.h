// The floor the real system is measured against: the same file bytes pushed through K loopback
// TCP connections into one file, with a single fdatasync at the end and no parsing at all.
#pragma once

#include <QString>
#include <QStringList>

namespace lottery::bench {

struct RawFloorResult {
    bool ok = false;
    QString error;
    double seconds = 0; // first sender started -> the one fdatasync returned
    qint64 bytes = 0; // bytes received and written
};

// Sends each of `files` over its own connection (one thread each) to a receiver in this thread
// that appends everything to `outputPath`, then syncs it once.
RawFloorResult measureRawFloor(const QStringList &files, const QString &outputPath);

} // namespace lottery::bench
