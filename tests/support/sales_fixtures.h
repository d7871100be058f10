#pragma once

// What the tests of the close of sales and of the agency switch share: the operator's token, the
// bets they store, the digests and seal recomputed independently (Qt's SHA-256 over the
// encodings docs/AUDIT.md gives, not the server's code), and the admin endpoint spoken over HTTP.

#include "program_runner.h"
#include "tst_server_client.h"

#include "lottery/protocol/byte_order.h"
#include "lottery/protocol/codec.h"

#include <QCryptographicHash>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

#include <string>
#include <vector>

namespace lottery::testing::sales {

inline const QByteArray kToken = "0123456789abcdef0123456789abcdef";

// Agency `agency`'s bet number `index` (documents unique across agencies; every 40th wins).
inline protocol::Bet betOf(quint32 agency, int index)
{
    return makeBet(
        "Ana", "Paz", std::to_string(agency * 1000000 + index), index % 40 == 0 ? 7574 : 3);
}

inline std::vector<protocol::Bet> betsOf(quint32 agency, int from, int to)
{
    std::vector<protocol::Bet> bets;
    for (int i = from; i < to; ++i)
        bets.push_back(betOf(agency, i));
    return bets;
}

inline protocol::Digest qtSha256(const QByteArray &bytes)
{
    const QByteArray result = QCryptographicHash::hash(bytes, QCryptographicHash::Sha256);
    protocol::Digest digest {};
    std::copy(result.begin(), result.end(), digest.begin());
    return digest;
}

// docs/AUDIT.md: an agency's digest is the SHA-256 of its bets as on the wire, in order.
inline protocol::Digest digestOf(const std::vector<protocol::Bet> &bets)
{
    std::string encoded;
    for (const protocol::Bet &bet : bets)
        protocol::detail::appendBet(encoded, bet);
    return qtSha256(QByteArray::fromStdString(encoded));
}

// docs/AUDIT.md: SHA-256 over u32 agency || u64 bets || digest, agencies 1..N.
inline protocol::Digest sealOf(const std::vector<std::vector<protocol::Bet>> &betsByAgency)
{
    std::string bytes;
    for (std::size_t i = 0; i < betsByAgency.size(); ++i) {
        protocol::appendU32(bytes, static_cast<std::uint32_t>(i + 1));
        protocol::appendU64(bytes, betsByAgency[i].size());
        const protocol::Digest digest = digestOf(betsByAgency[i]);
        bytes.append(reinterpret_cast<const char *>(digest.data()), digest.size());
    }
    return qtSha256(QByteArray::fromStdString(bytes));
}

inline QString hex(const protocol::Digest &digest)
{
    return QString::fromLatin1(
        QByteArray(reinterpret_cast<const char *>(digest.data()), int(digest.size())).toHex());
}

struct Reply {
    int status = 0;
    QByteArray body;
};

// One HTTP request to the admin endpoint (`token` empty: no Authorization header).
inline Reply request(const QByteArray &verb, const QString &url, const QByteArray &token)
{
    QNetworkAccessManager manager;
    QNetworkRequest request {QUrl(url)};
    request.setTransferTimeout(40000);
    if (!token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + token);
    QNetworkReply *reply = manager.sendCustomRequest(request, verb, QByteArray());
    QSignalSpy finished(reply, &QNetworkReply::finished);
    if (!reply->isFinished())
        finished.wait(45000);
    Reply result {
        reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), reply->readAll()};
    reply->deleteLater();
    return result;
}

inline Reply post(const QString &url, const QByteArray &token)
{
    return request("POST", url, token);
}

// The admin port a server started with --admin-port 0 chose (its admin_listen line); 0: none
// within 10 s.
inline quint16 adminPortOf(ServerProcess &server)
{
    static const QRegularExpression line(
        QStringLiteral("action: admin_listen \\| result: success \\| ip: [^ ]+ \\| port: (\\d+)"));
    quint16 port = 0;
    (void)QTest::qWaitFor(
        [&] {
            const auto match = line.match(QString::fromUtf8(server.output()));
            port = match.hasMatch() ? match.captured(1).toUShort() : 0;
            return port != 0;
        },
        10000);
    return port;
}

} // namespace lottery::testing::sales
