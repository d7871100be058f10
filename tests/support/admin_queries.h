// What a test asks the server's operator console (docs/ADMIN.md) about the peers it plays: how
// often a peer limit was reached (/metrics).
// Plain HTTP to 127.0.0.1 (a server started with --admin-port 0 and no admin token); usable from
// any thread that runs an event loop.
#pragma once

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QSignalSpy>

namespace lottery::testing {

// The body of GET http://127.0.0.1:<adminPort><path>; empty when it did not answer 200 in 10 s.
inline QByteArray adminGet(quint16 adminPort, const QString &path)
{
    if (adminPort == 0)
        return {};
    QNetworkAccessManager http;
    QNetworkReply *reply = http.get(
        QNetworkRequest(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(adminPort).arg(path))));
    QSignalSpy finished(reply, &QNetworkReply::finished);
    if (!reply->isFinished() && !finished.wait(10000)) {
        reply->abort();
        reply->deleteLater();
        return {};
    }
    const bool ok = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200;
    const QByteArray body = reply->readAll();
    reply->deleteLater();
    return ok ? body : QByteArray();
}

// lottery_peer_limit_total{limit="<limit>"} (server/net/peer_limits.h), or -1.
inline qint64 peerLimitCount(quint16 adminPort, const QString &limit)
{
    const QRegularExpression sample(
        QStringLiteral("^lottery_peer_limit_total\\{limit=\"%1\"\\} (\\d+)$").arg(limit),
        QRegularExpression::MultilineOption);
    const QRegularExpressionMatch match
        = sample.match(QString::fromUtf8(adminGet(adminPort, QStringLiteral("/metrics"))));
    return match.hasMatch() ? match.captured(1).toLongLong() : -1;
}

} // namespace lottery::testing
