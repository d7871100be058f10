// The operator's HTTP endpoint (docs/ADMIN.md), on its own port, served by Qt's QHttpServer
// (Qt 6.4) in the main thread, beside the LotteryServer whose state it reports. Its handlers only
// copy counters and build text: they never wait on the worker pool, so they answer during a
// stalled fdatasync as well as after a storage failure.
//
//   GET /metrics      Prometheus text format          (token)
//   GET /api/status   one JSON document               (token)
//   GET /healthz      200 while the event loop runs   (open: no counts)
//   GET /readyz       200 or 503 with the reason      (open: no counts)
//   GET /             the dashboard (static files from Qt resources; its data is /api/status)
//
// With a token file every data request needs `Authorization: Bearer <token>` (compared in constant
// time); without one (allowed on loopback only, see ServerConfigLoader) the endpoint is open.
#pragma once

#include "server/admin/server_metrics.h"
#include "server/admin/status_snapshot.h"

#include <QByteArray>
#include <QHttpServer>
#include <QObject>
#include <QSslConfiguration>
#include <QString>

#include <functional>

class QTcpServer;

namespace lottery::server {

class AdminServer : public QObject
{
    Q_OBJECT
public:
    using SnapshotProvider = std::function<StatusSnapshot()>;

    struct Settings {
        QString ip = QStringLiteral("127.0.0.1");
        quint16 port = 0; // 0: the kernel picks
        QString tokenPath; // empty: open (loopback)
        bool tls = false;
        QSslConfiguration tlsConfiguration;
    };

    // Tokens shorter than this are refused: guessable.
    static constexpr int kMinTokenLength = 16;

    AdminServer(const ServerMetrics &metrics, SnapshotProvider snapshot, QObject *parent = nullptr);

    // Reads the token, listens and logs `action: admin_listen`. False with errorString().
    bool start(const Settings &settings);
    QString errorString() const { return m_error; }
    quint16 serverPort() const;
    bool isTls() const { return m_settings.tls; }

    // Reads a token file: its first line, trimmed. False with `error` when unreadable or short.
    static bool readToken(const QString &path, QByteArray *token, QString *error);
    // Constant-time equality of two byte strings (their SHA-256 digests are compared).
    static bool tokensEqual(const QByteArray &presented, const QByteArray &expected);

private:
    void addRoutes();
    // True when the request may read data; logs `action: admin_auth | result: fail` otherwise.
    bool authorized(const QHttpServerRequest &request) const;
    QHttpServerResponse unauthorized() const;
    QHttpServerResponse resource(const QString &path, const QByteArray &mimeType) const;

    const ServerMetrics &m_metrics;
    SnapshotProvider m_snapshot;
    QHttpServer m_http;
    QTcpServer *m_listener = nullptr; // owned by m_http after bind()
    Settings m_settings;
    QByteArray m_token; // empty: open
    QString m_error;
};

} // namespace lottery::server
