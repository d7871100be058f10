#pragma once

// A TCP port that a test can hand to a program started later (a second server, a PostgreSQL
// cluster). The port is chosen *below* the kernel's ephemeral range: a port the kernel may give
// to any outgoing connection (ctest runs tests side by side; the soak test alone opens thousands)
// can be taken between the probe and the program's listen(), which then fails with "address
// in use". Below the range only an explicit bind takes it, and candidates are random so two
// tests running at once do not pick the same one.

#include <QFile>
#include <QHostAddress>
#include <QRandomGenerator>
#include <QTcpServer>

namespace testsupport {

inline quint16 ephemeralRangeStart()
{
    QFile range(QStringLiteral("/proc/sys/net/ipv4/ip_local_port_range"));
    if (!range.open(QIODevice::ReadOnly))
        return 32768; // Linux's default
    const QList<QByteArray> fields = range.readAll().simplified().split(' ');
    bool ok = false;
    const uint low = fields.value(0).toUInt(&ok);
    return ok && low > 2048 && low <= 65535 ? static_cast<quint16>(low) : 32768;
}

// Returns 0 when no candidate is free (the caller fails with its own message).
inline quint16 portOutsideEphemeralRange(const QHostAddress &host = QHostAddress::Any)
{
    const quint32 high = ephemeralRangeStart(); // exclusive
    const quint32 low = high > 12000 ? high - 12000 : 1024;
    for (int attempt = 0; attempt < 200; ++attempt) {
        const auto candidate = static_cast<quint16>(QRandomGenerator::global()->bounded(low, high));
        QTcpServer probe;
        if (probe.listen(host, candidate))
            return candidate; // free again once `probe` is gone
    }
    return 0;
}

} // namespace testsupport
