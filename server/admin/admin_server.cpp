#include "server/admin/admin_server.h"

#include "common/log.h"
#include "server/admin/metrics_formatter.h"
#include "server/admin/process_metrics.h"
#include "server/admin/status_report.h"

#include <QCryptographicHash>
#include <QFile>
#include <QHostAddress>
#include <QHttpServerRequest>
#include <QHttpServerResponse>
#include <QJsonDocument>
#include <QSslServer>
#include <QTcpServer>

#include <unistd.h>

namespace lottery::server {

namespace {

using StatusCode = QHttpServerResponder::StatusCode;

// Open admin connections at most: each costs a descriptor of the process that also holds every
// agency's, and Qt 6.4's HTTP server has no limit and no idle timeout of its own.
constexpr int kMaxConnections = 512;

// A listener that closes a new connection at once while kMaxConnections are open. The sockets of
// QTcpServer and QSslServer are their children until deleted, so counting children counts them.
template<typename Listener> class CappedListener : public Listener
{
public:
    explicit CappedListener(QObject *parent) : Listener(parent) { }

protected:
    void incomingConnection(qintptr descriptor) override
    {
        const auto open
            = this->template findChildren<QAbstractSocket *>(Qt::FindDirectChildrenOnly).size();
        if (open >= kMaxConnections) {
            ::close(static_cast<int>(descriptor));
            LOTTERY_LOG_FAIL("admin_connection")
                .field(u"error",
                    QStringLiteral("%1 admin connections open: refused").arg(kMaxConnections));
            return;
        }
        Listener::incomingConnection(descriptor);
    }
};

// Scrapers and browsers may arrive together (tests run 200 at once); the default of 50 would
// make the kernel drop SYNs and the clients retry a second later.
constexpr int kListenBacklog = 256;

// A browser must not cache counts nor frame the page; the page loads nothing from elsewhere.
void addSecurityHeaders(QHttpServerResponse &response)
{
    response.setHeader("Cache-Control", "no-store");
    response.setHeader("X-Content-Type-Options", "nosniff");
    response.setHeader("X-Frame-Options", "DENY");
    response.setHeader("Referrer-Policy", "no-referrer");
    response.setHeader("Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'");
}

QHttpServerResponse text(const QByteArray &body, StatusCode status = StatusCode::Ok)
{
    QHttpServerResponse response(QByteArrayLiteral("text/plain; charset=utf-8"), body, status);
    addSecurityHeaders(response);
    return response;
}

// The header, whatever its case (HTTP header names are case-insensitive).
QByteArray headerValue(const QHttpServerRequest &request, const QByteArray &name)
{
    const auto headers = request.headers();
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return QByteArray();
}

} // namespace

AdminServer::AdminServer(const ServerMetrics &metrics, SnapshotProvider snapshot, QObject *parent)
    : QObject(parent), m_metrics(metrics), m_snapshot(std::move(snapshot))
{
    addRoutes();
}

bool AdminServer::readToken(const QString &path, QByteArray *token, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("admin token file %1: %2").arg(path, file.errorString());
        return false;
    }
    const QByteArray first = file.readLine(4096).trimmed();
    if (first.size() < kMinTokenLength) {
        *error = QStringLiteral("admin token file %1: the token must be at least %2 characters "
                                "(e.g. openssl rand -hex 32 > %1)")
                     .arg(path)
                     .arg(kMinTokenLength);
        return false;
    }
    *token = first;
    return true;
}

bool AdminServer::tokensEqual(const QByteArray &presented, const QByteArray &expected)
{
    // Equal-length digests, compared without an early exit: the time says nothing about how
    // much of the token was right.
    const QByteArray a = QCryptographicHash::hash(presented, QCryptographicHash::Sha256);
    const QByteArray b = QCryptographicHash::hash(expected, QCryptographicHash::Sha256);
    unsigned char difference = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(a[i] ^ b[i]);
    return difference == 0;
}

bool AdminServer::start(const Settings &settings)
{
    m_settings = settings;
    if (!settings.tokenPath.isEmpty()) {
        QByteArray token;
        if (!readToken(settings.tokenPath, &token, &m_error))
            return false;
        m_token = token;
    }
    QTcpServer *listener = nullptr;
    if (settings.tls) {
        auto *tls = new CappedListener<QSslServer>(this);
        tls->setSslConfiguration(settings.tlsConfiguration);
        listener = tls;
    } else {
        listener = new CappedListener<QTcpServer>(this);
    }
    listener->setListenBacklogSize(kListenBacklog);
    if (!listener->listen(QHostAddress(settings.ip), settings.port)) {
        m_error = QStringLiteral("cannot listen for the admin endpoint on %1:%2: %3")
                      .arg(settings.ip)
                      .arg(settings.port)
                      .arg(listener->errorString());
        delete listener;
        return false;
    }
    m_http.bind(listener);
    m_listener = listener;
    LOTTERY_LOG_SUCCESS("admin_listen")
        .field(u"ip", settings.ip)
        .field(u"port", static_cast<int>(listener->serverPort()))
        .field(u"tls", settings.tls ? "on" : "off")
        .field(u"auth", m_token.isEmpty() ? "off" : "bearer");
    return true;
}

quint16 AdminServer::serverPort() const
{
    return m_listener ? m_listener->serverPort() : 0;
}

bool AdminServer::authorized(const QHttpServerRequest &request) const
{
    if (m_token.isEmpty())
        return true;
    const QByteArray header = headerValue(request, "Authorization");
    static const QByteArray scheme = QByteArrayLiteral("Bearer ");
    const char *problem = nullptr;
    if (header.isEmpty())
        problem = "missing bearer token";
    else if (!header.startsWith(scheme)
        || !tokensEqual(header.mid(scheme.size()).trimmed(), m_token))
        problem = "wrong bearer token";
    if (!problem)
        return true;
    LOTTERY_LOG_FAIL("admin_auth")
        .field(u"ip", request.remoteAddress().toString())
        .field(u"path", request.url().path())
        .field(u"error", problem);
    return false;
}

QHttpServerResponse AdminServer::unauthorized() const
{
    QHttpServerResponse response
        = text("401 unauthorized: send Authorization: Bearer <token>\n", StatusCode::Unauthorized);
    response.setHeader("WWW-Authenticate", "Bearer realm=\"lottery-admin\"");
    return response;
}

QHttpServerResponse AdminServer::resource(const QString &path, const QByteArray &mimeType) const
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return text("404 not found\n", StatusCode::NotFound);
    QHttpServerResponse response(mimeType, file.readAll());
    addSecurityHeaders(response);
    return response;
}

void AdminServer::addRoutes()
{
    using Method = QHttpServerRequest::Method;
    m_http.route(QStringLiteral("/healthz"), Method::Get, [] { return text("ok\n"); });
    m_http.route(QStringLiteral("/readyz"), Method::Get, [this] {
        const Readiness ready = readiness(m_snapshot(), m_metrics.snapshot());
        if (ready.ready)
            return text("ready\n");
        return text("not ready: " + ready.reason.toUtf8() + '\n', StatusCode::ServiceUnavailable);
    });
    m_http.route(
        QStringLiteral("/metrics"), Method::Get, [this](const QHttpServerRequest &request) {
            if (!authorized(request))
                return unauthorized();
            const StatusSnapshot status = m_snapshot();
            QHttpServerResponse response(QByteArray(MetricsFormatter::kContentType),
                formatServerMetrics(status, m_metrics.snapshot(), ProcessMetrics::read(),
                    fileBytes(status.storagePath, status.journalPath)));
            addSecurityHeaders(response);
            return response;
        });
    m_http.route(
        QStringLiteral("/api/status"), Method::Get, [this](const QHttpServerRequest &request) {
            if (!authorized(request))
                return unauthorized();
            const StatusSnapshot status = m_snapshot();
            const QJsonObject document = statusDocument(status, m_metrics.snapshot(),
                ProcessMetrics::read(), fileBytes(status.storagePath, status.journalPath));
            QHttpServerResponse response(QByteArrayLiteral("application/json"),
                QJsonDocument(document).toJson(QJsonDocument::Compact));
            addSecurityHeaders(response);
            return response;
        });
    // The page and its two files hold no data: they load without the token and ask for it.
    m_http.route(QStringLiteral("/"), Method::Get, [this] {
        return resource(QStringLiteral(":/admin/index.html"), "text/html; charset=utf-8");
    });
    m_http.route(QStringLiteral("/dashboard.css"), Method::Get, [this] {
        return resource(QStringLiteral(":/admin/dashboard.css"), "text/css; charset=utf-8");
    });
    m_http.route(QStringLiteral("/dashboard.js"), Method::Get, [this] {
        return resource(QStringLiteral(":/admin/dashboard.js"), "text/javascript; charset=utf-8");
    });
    m_http.setMissingHandler([](const QHttpServerRequest &, QHttpServerResponder &&responder) {
        responder.write("404 not found: GET /, /metrics, /api/status, /healthz or /readyz\n",
            "text/plain; charset=utf-8", StatusCode::NotFound);
    });
}

} // namespace lottery::server
