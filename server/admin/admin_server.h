// The operator's HTTP endpoint (docs/ADMIN.md), on its own port and in its own thread
// ("lottery-admin"), beside the LotteryServer whose state it reports. Its handlers only copy
// counters and build text: they never wait on the worker pool, so they answer during a stalled
// fdatasync as well as after a storage failure; and the agencies' event loop (the main thread)
// never runs them, so the console cannot slow the agencies.
//
//   GET /metrics      Prometheus text format          (token)
//   GET /api/status   one JSON document               (token)
//   GET /healthz      200 while the event loop runs   (open: no counts)
//   GET /readyz       200 or 503 with the reason      (open: no counts)
//   GET /             the dashboard (static files from Qt resources; its data is /api/status)
//   POST /api/sales/close  closes the sales now (always the token, even on loopback: an action)
//   POST /api/agencies/<n>/disable, /enable  the operator's switch of an agency (the same rule)
//
// Every request is bounded before a route or the token sees it (AdminHttpService: header and
// body limits, deadlines, a connection cap). What only the main thread knows (sessions, the
// listener, the shutdown phase) crosses over through a StatusBoard; ServerMetrics has its mutex.
//
// With a token file every data request needs `Authorization: Bearer <token>` (compared in constant
// time); without one (allowed on loopback only, see ServerConfigLoader) the endpoint is open.
#pragma once

#include "server/admin/admin_http.h"
#include "server/admin/server_metrics.h"
#include "server/admin/status_board.h"
#include "server/status_snapshot.h"

#include <QByteArray>
#include <QObject>
#include <QSslConfiguration>
#include <QString>
#include <QThread>

#include <functional>

namespace lottery::server {

class AdminHttpService;

class AdminServer : public QObject
{
    Q_OBJECT
public:
    using SnapshotProvider = std::function<StatusSnapshot()>;
    // An action's outcome, for its HTTP answer: ok, and a JSON document (or the error).
    struct ActionResult {
        bool ok = false;
        QByteArray json; // the answer's body when ok
        QString error; // why not, when !ok
        int errorStatus = 409; // the HTTP status of a refusal (404: no such agency)
    };
    // Runs an action in the main thread; it calls `reply` (in the main thread) once decided.
    using Action = std::function<void(std::function<void(const ActionResult &)> reply)>;
    // How long an action's request waits for the main thread's decision before answering 504.
    static constexpr int kActionWaitMs = 30000;

    struct Settings {
        QString ip = QStringLiteral("127.0.0.1");
        quint16 port = 0; // 0: the kernel picks
        QString tokenPath; // empty: open (loopback)
        bool tls = false;
        QSslConfiguration tlsConfiguration;
        AdminHttpLimits limits;
    };

    // Tokens shorter than this are refused: guessable.
    static constexpr int kMinTokenLength = 16;
    // A status snapshot younger than this is shared by the requests that want one; the main
    // thread builds at most one per this interval however many requests arrive.
    static constexpr int kSnapshotMaxAgeMs = 250;
    // How long a request waits for the main thread's snapshot before it says the main thread
    // does not answer (/healthz and /readyz 503; the last snapshot is used meanwhile).
    static constexpr int kSnapshotWaitMs = 2000;

    // In the main thread, the one that may call `snapshot` (LotteryServer's).
    AdminServer(const ServerMetrics &metrics, SnapshotProvider snapshot, QObject *parent = nullptr);
    // Stops the admin thread (its connections are closed) before `metrics` may go.
    ~AdminServer() override;

    // Main thread, before start(): what POST /api/sales/close runs (unset: 501).
    void setCloseSalesAction(Action action) { m_closeSales = std::move(action); }
    // What POST /api/agencies/<n>/disable (enabled = false) and /enable run (unset: 501).
    using AgencyAction = std::function<void(
        quint32 agency, bool enabled, std::function<void(const ActionResult &)> reply)>;
    void setAgencySwitchAction(AgencyAction action) { m_agencySwitch = std::move(action); }

    // Reads the token, starts the admin thread, listens there and logs `action: admin_listen`.
    // False with errorString().
    bool start(const Settings &settings);
    QString errorString() const { return m_error; }
    quint16 serverPort() const { return m_port; }
    bool isTls() const { return m_settings.tls; }

    // Reads a token file: its first line, trimmed. False with `error` when unreadable or short.
    static bool readToken(const QString &path, QByteArray *token, QString *error);
    // Constant-time equality of two byte strings (their SHA-256 digests are compared).
    static bool tokensEqual(const QByteArray &presented, const QByteArray &expected);

private:
    void stop();
    // The admin thread: a whole request that passed every limit.
    AdminHttpResponse route(const AdminHttpRequest &request);
    // True when the request may read data; logs `action: admin_auth | result: fail` otherwise
    // (rate-limited).
    bool authorized(const AdminHttpRequest &request);
    StatusSnapshot snapshot(int maxAgeMs);
    // The admin thread: runs `action` in the main thread and waits (bounded) for its result.
    AdminHttpResponse runAction(const Action &action, const AdminHttpRequest &request);
    // POST /api/agencies/<n>/disable|enable.
    AdminHttpResponse routeAgencySwitch(const AdminHttpRequest &request);

    const ServerMetrics &m_metrics; // its own mutex: read from the admin thread
    StatusBoard m_board; // the main thread's side of the hand-over
    LogLimiter m_log;
    QThread m_thread;
    AdminHttpService *m_service = nullptr; // lives in m_thread, deleted when it finishes
    // Set in start() before the admin thread handles a request, then only read.
    Settings m_settings;
    QByteArray m_token; // empty: open
    QString m_error;
    quint16 m_port = 0;
    Action m_closeSales; // set before start(), then only read
    AgencyAction m_agencySwitch; // set before start(), then only read
};

} // namespace lottery::server
