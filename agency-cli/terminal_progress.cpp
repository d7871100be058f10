#include "terminal_progress.h"

#include "lottery/agency/duration_text.h"
#include "lottery/agency/user_messages.h"

#include <QLocale>
#include <QStringList>

#include <algorithm>
#include <cerrno>
#include <sys/ioctl.h>
#include <unistd.h>

namespace lottery::agency {

namespace {

constexpr int kMaxInvalidRowsListed = 10; // the rest are counted in the summary
constexpr int kMaxWinnersListed = 20;
constexpr int kMinBarWidth = 10;
constexpr int kMaxBarWidth = 30;

QString bar(double fraction, int width)
{
    const int filled = std::clamp(static_cast<int>(fraction * width + 0.5), 0, width);
    return QLatin1Char('[') + QString(filled, QLatin1Char('#'))
        + QString(width - filled, QLatin1Char('-')) + QLatin1Char(']');
}

} // namespace

TerminalProgress::TerminalProgress(AgencySession *session, int fd, QObject *parent)
    : QObject(parent), m_session(session), m_fd(fd)
{
    m_total.start();
    m_timer.setInterval(kRedrawMs);
    connect(&m_timer, &QTimer::timeout, this, &TerminalProgress::redraw);
    connect(session, &AgencySession::phaseChanged, this, [this](AgencySession::Phase phase) {
        if (phase == AgencySession::Phase::Sending && !m_sending.isValid())
            m_sending.start();
        if (m_session->isRunning()) {
            redraw();
            m_timer.start();
        } else {
            m_timer.stop();
        }
    });
    connect(session, &AgencySession::connectRetry, this, &TerminalProgress::redraw);
    // The person reads the translated cause; the library's English detail is in the log lines.
    connect(session, &AgencySession::reconnecting, this, [this](const QString &, int timeoutMs) {
        printLine(tr("Upload interrupted (%1); reconnecting, to the next server of the list "
                     "if there is one, for up to %2 s...")
                      .arg(UserMessages::forError(m_session->outageCause()).title)
                      .arg(timeoutMs / 1000));
    });
    connect(session, &AgencySession::invalidRow, this, [this](qint64 line, const QString &reason) {
        if (++m_invalidShown <= kMaxInvalidRowsListed)
            printLine(
                tr("Line %1 not sent: %2").arg(line).arg(UserMessages::forInvalidRow(reason)));
    });
}

TerminalProgress::~TerminalProgress() = default;

bool TerminalProgress::isTerminal(int fd)
{
    return ::isatty(fd) == 1;
}

int TerminalProgress::terminalWidth(int fd)
{
    winsize size {};
    if (::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
        return size.ws_col;
    return kDefaultWidth;
}

TerminalProgress::Snapshot TerminalProgress::snapshot() const
{
    Snapshot s;
    s.phase = m_session->phase();
    s.betsSent = m_session->betsSent();
    s.betsStored = m_session->betsAcknowledged();
    s.storedBefore = static_cast<qint64>(m_session->serverStoredBets());
    s.bytesRead = m_session->bytesRead();
    s.fileSize = m_session->fileSize();
    s.sendingMs = m_sending.isValid() ? m_sending.elapsed() : 0;
    s.connectAttempts = m_session->connectAttempts();
    return s;
}

QString TerminalProgress::render(const Snapshot &s, int width)
{
    const QLocale locale;
    const int room = std::max(1, width - 1);
    QString text;
    switch (s.phase) {
    case AgencySession::Phase::Idle:
    case AgencySession::Phase::Connecting:
        text = s.connectAttempts > 1
            ? tr("Connecting to the server... (attempt %1)").arg(s.connectAttempts)
            : tr("Connecting to the server...");
        break;
    case AgencySession::Phase::Sending: {
        const double fraction = s.fileSize > 0
            ? std::clamp(
                static_cast<double>(s.bytesRead) / static_cast<double>(s.fileSize), 0.0, 1.0)
            : 0.0;
        const double rate = s.sendingMs > 0
            ? static_cast<double>(s.betsStored) * 1000.0 / static_cast<double>(s.sendingMs)
            : 0.0;
        QString left = tr("time left unknown");
        if (fraction >= 1.0)
            left = tr("finishing");
        else if (fraction > 0.0 && s.sendingMs >= 1000)
            left = tr("%1 left").arg(durationText(static_cast<qint64>(
                static_cast<double>(s.sendingMs) * (1.0 - fraction) / fraction / 1000.0 + 0.5)));
        const QString percent = QStringLiteral("%1 %").arg(static_cast<int>(fraction * 100.0));
        const QString sent = locale.toString(s.betsSent);
        const QString stored = locale.toString(s.storedBefore + s.betsStored);
        const QString perSecond = locale.toString(qRound64(rate));
        // From the most to the least said: a narrow terminal gets the first that fits.
        const QStringList details {
            tr("sent %1 · stored %2 · %3 bets/s · %4").arg(sent, stored, perSecond, left),
            tr("stored %1 · %2 bets/s · %3").arg(stored, perSecond, left),
            tr("%1 bets/s · %2").arg(perSecond, left),
            tr("%1 bets/s").arg(perSecond),
        };
        text = percent;
        for (const QString &detail : details) {
            const QString line = percent + QLatin1String("  ") + detail;
            if (line.size() <= room) {
                text = line;
                break;
            }
        }
        // The bar's cells; its two brackets and the space after it take 3 more columns.
        const int barWidth = std::min(kMaxBarWidth, room - static_cast<int>(text.size()) - 3);
        if (barWidth >= kMinBarWidth)
            text = bar(fraction, barWidth) + QLatin1Char(' ') + text;
        break;
    }
    case AgencySession::Phase::WaitingForDraw:
        text = tr("All %1 bets stored; waiting for the draw (every agency must finish)...")
                   .arg(locale.toString(s.storedBefore + s.betsStored));
        break;
    case AgencySession::Phase::Done: text = tr("Draw done."); break;
    case AgencySession::Phase::Failed: text = tr("Failed."); break;
    case AgencySession::Phase::Cancelled: text = tr("Stopped."); break;
    }
    if (text.size() > room)
        text = text.left(room - 1) + QChar(0x2026); // …
    return text;
}

void TerminalProgress::write(const QString &text)
{
    const QByteArray bytes = text.toUtf8();
    qsizetype done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(
            m_fd, bytes.constData() + done, static_cast<std::size_t>(bytes.size() - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; // a closed terminal: nothing more to show
        done += n;
    }
}

void TerminalProgress::clearLine()
{
    if (m_lineShown)
        write(QStringLiteral("\r\x1b[K"));
    m_lineShown = false;
}

void TerminalProgress::redraw()
{
    write(
        QStringLiteral("\r") + render(snapshot(), terminalWidth(m_fd)) + QStringLiteral("\x1b[K"));
    m_lineShown = true;
}

void TerminalProgress::printLine(const QString &text)
{
    clearLine();
    write(text + QLatin1Char('\n'));
    if (m_session->isRunning())
        redraw();
}

void TerminalProgress::finish()
{
    m_timer.stop();
    clearLine();
    const QLocale locale;
    const AgencySession &s = *m_session;
    const qint64 stored = static_cast<qint64>(s.serverStoredBets()) + s.betsAcknowledged();
    const double seconds = static_cast<double>(m_total.elapsed()) / 1000.0;
    QStringList lines;
    switch (s.phase()) {
    case AgencySession::Phase::Done: {
        const QStringList winners = s.winners();
        lines << tr("Agency %1: %2 bets stored on the server (%3 in this run, %4 s).")
                     .arg(s.options().agency)
                     .arg(locale.toString(stored), locale.toString(s.betsAcknowledged()),
                         locale.toString(seconds, 'f', 1));
        if (winners.isEmpty()) {
            lines << tr("No winners for this agency.");
        } else {
            QStringList shown = winners.mid(0, kMaxWinnersListed);
            QString list = shown.join(QStringLiteral(", "));
            if (winners.size() > kMaxWinnersListed)
                list += QLatin1Char(' ')
                    + tr("and %1 more").arg(locale.toString(winners.size() - kMaxWinnersListed));
            // One form for one and one for the rest: the plural rule of English and Spanish.
            lines << (winners.size() == 1
                    ? tr("1 winner (document): %1").arg(list)
                    : tr("%1 winners (documents): %2").arg(locale.toString(winners.size()), list));
        }
        break;
    }
    case AgencySession::Phase::Failed: {
        // The same title and sentence as agency-gui's; the library's detail stays as it is (it
        // names files, addresses and codes) for whoever supports the agency.
        const UserMessage message = UserMessages::forError(s.error());
        lines << tr("The upload failed: %1.").arg(message.title) << message.explanation
              << tr("Detail: %1").arg(s.errorString());
        if (stored > 0)
            lines << tr("The server keeps the %1 bets it stored; running again resumes after them.")
                         .arg(locale.toString(stored));
        break;
    }
    case AgencySession::Phase::Cancelled:
        lines << tr("Stopped. The server keeps the %1 bets it stored; running again resumes after "
                    "them.")
                     .arg(locale.toString(stored));
        break;
    case AgencySession::Phase::Idle:
    case AgencySession::Phase::Connecting:
    case AgencySession::Phase::Sending:
    case AgencySession::Phase::WaitingForDraw: break;
    }
    if (s.invalidRows() > 0)
        lines << (s.invalidRows() == 1
                ? tr("1 invalid row of the file was not sent (each one is listed with "
                     "--no-progress).")
                : tr("%1 invalid rows of the file were not sent (each one is listed with "
                     "--no-progress).")
                      .arg(locale.toString(s.invalidRows())));
    for (const QString &line : lines)
        write(line + QLatin1Char('\n'));
}

} // namespace lottery::agency
