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
// The widest values a line is laid out for: the detail shown is chosen for these, not for
// the values of the moment, so it stays the same from the first redraw to the last.
constexpr qint64 kWidestCount = 9999999;
constexpr qint64 kWidestRate = 999999;
constexpr qint64 kWidestSecondsLeft = 99 * 3600 + 59 * 60 + 59;

// Full only at 1: the cells are rounded down.
QString bar(double fraction, int width)
{
    const int filled = std::clamp(static_cast<int>(fraction * width), 0, width);
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

double TerminalProgress::storedFraction(const Snapshot &s)
{
    const double read = s.fileSize > 0
        ? std::clamp(static_cast<double>(s.bytesRead) / static_cast<double>(s.fileSize), 0.0, 1.0)
        : 0.0;
    const qint64 readValid = s.storedBefore + s.betsSent;
    const double storedShare = readValid > 0
        ? std::clamp(
            static_cast<double>(s.storedBefore + s.betsStored) / static_cast<double>(readValid),
            0.0, 1.0)
        : 0.0;
    return std::max(s.shownFraction, read * storedShare);
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
    s.shownFraction = m_shownFraction;
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
        const double fraction = storedFraction(s);
        const qint64 stored = s.storedBefore + s.betsStored;
        const double rate = s.sendingMs > 0
            ? static_cast<double>(s.betsStored) * 1000.0 / static_cast<double>(s.sendingMs)
            : 0.0;
        // Time left from the rate of this run and the estimated bets still to store.
        const auto leftText
            = [](qint64 seconds) { return tr("%1 left").arg(durationText(seconds)); };
        QString left = tr("%1 left").arg(QStringLiteral("-:--"));
        if (fraction >= 1.0)
            left = tr("finishing");
        else if (rate > 0.0 && fraction > 0.0 && stored > 0)
            left = leftText(static_cast<qint64>(
                static_cast<double>(stored) * (1.0 - fraction) / fraction / rate + 0.5));
        const auto percentText = [](int percent) { return QStringLiteral("%1 %").arg(percent, 3); };
        const auto details = [](const QString &sent, const QString &stored,
                                 const QString &perSecond, const QString &left) {
            return QStringList {
                tr("sent %1 · stored %2 · %3 bets/s · %4").arg(sent, stored, perSecond, left),
                tr("stored %1 · %2 bets/s · %3").arg(stored, perSecond, left),
                tr("%1 bets/s · %2").arg(perSecond, left),
                tr("%1 bets/s").arg(perSecond),
            };
        };
        // The layout for this width: the bar's cells, then the most detail that fits the
        // widest values (from the most to the least said).
        const int barWidth = std::clamp(room / 4, kMinBarWidth, kMaxBarWidth);
        const bool withBar = room >= barWidth + 3 + 5;
        const int prefix = (withBar ? barWidth + 3 : 0) + 5; // "[...] " and "100 %"
        QStringList widest = details(locale.toString(kWidestCount), locale.toString(kWidestCount),
            locale.toString(kWidestRate),
            std::max({tr("finishing"), leftText(kWidestSecondsLeft), left},
                [](const QString &a, const QString &b) { return a.size() < b.size(); }));
        qsizetype level = 0;
        while (level < widest.size() && prefix + 2 + widest.at(level).size() > room)
            ++level;
        text = (withBar ? bar(fraction, barWidth) + QLatin1Char(' ') : QString())
            + percentText(static_cast<int>(fraction * 100.0));
        if (level < widest.size())
            text += QLatin1String("  ")
                + details(locale.toString(s.betsSent), locale.toString(stored),
                    locale.toString(qRound64(rate)), left)
                      .at(level);
        break;
    }
    case AgencySession::Phase::WaitingForDraw: {
        // Qt's plural forms (%n) for Spanish; English, the source language, has no catalog,
        // so its singular is a message of its own.
        const auto stored = static_cast<int>(s.storedBefore + s.betsStored);
        text = stored == 1
            ? tr("The %Ln bet is stored; waiting for the draw (every agency must finish)...",
                nullptr, stored)
            : tr("All %Ln bets stored; waiting for the draw (every agency must finish)...", nullptr,
                stored);
        break;
    }
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
    const Snapshot now = snapshot();
    if (now.phase == AgencySession::Phase::Sending)
        m_shownFraction = storedFraction(now);
    write(QStringLiteral("\r") + render(now, terminalWidth(m_fd)) + QStringLiteral("\x1b[K"));
    m_lineShown = true;
}

void TerminalProgress::printLine(const QString &text)
{
    clearLine();
    write(text + QLatin1Char('\n'));
    if (m_session->isRunning())
        redraw();
}

QString TerminalProgress::keptText(qint64 stored, bool stopped)
{
    const auto count = static_cast<int>(stored);
    if (stopped)
        return count == 1 ? tr("Stopped. The server keeps the %Ln bet it stored; running again "
                               "resumes after it.",
                   nullptr, count)
                          : tr("Stopped. The server keeps the %Ln bets it stored; running again "
                               "resumes after them.",
                              nullptr, count);
    return count == 1
        ? tr("The server keeps the %Ln bet it stored; running again resumes after it.", nullptr,
            count)
        : tr("The server keeps the %Ln bets it stored; running again resumes after them.", nullptr,
            count);
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
        // Qt's plural forms (%n) for Spanish; English, the source language, has no catalog,
        // so its singulars are messages of their own.
        const auto storedCount = static_cast<int>(stored);
        lines << (storedCount == 1
                ? tr("Agency %1: %Ln bet stored on the server (%2 in this run, %3 s).", nullptr,
                    storedCount)
                : tr("Agency %1: %Ln bets stored on the server (%2 in this run, %3 s).", nullptr,
                    storedCount))
                     .arg(s.options().agency)
                     .arg(locale.toString(s.betsAcknowledged()), locale.toString(seconds, 'f', 1));
        if (winners.isEmpty()) {
            lines << tr("No winners for this agency.");
        } else {
            QStringList shown = winners.mid(0, kMaxWinnersListed);
            QString list = shown.join(QStringLiteral(", "));
            if (winners.size() > kMaxWinnersListed)
                list += QLatin1Char(' ')
                    + tr("and %1 more").arg(locale.toString(winners.size() - kMaxWinnersListed));
            const auto count = static_cast<int>(winners.size());
            lines << (count == 1 ? tr("%Ln winner (document): %1", nullptr, count)
                                 : tr("%Ln winners (documents): %1", nullptr, count))
                         .arg(list);
        }
        break;
    }
    case AgencySession::Phase::Failed: {
        // The same title and sentence as agency-gui's, then the facts (server, code, socket
        // error, file) in the person's language; the library's English message is for the log.
        const UserMessage message = UserMessages::forError(s.error());
        lines << tr("The upload failed: %1.").arg(message.title) << message.explanation;
        const QString detail = UserMessages::detailFor(
            s.error(), toString(s.options().servers), s.options().dataFile);
        if (!detail.isEmpty())
            lines << tr("Detail: %1").arg(detail);
        if (stored > 0)
            lines << keptText(stored, false);
        break;
    }
    case AgencySession::Phase::Cancelled: lines << keptText(stored, true); break;
    case AgencySession::Phase::Idle:
    case AgencySession::Phase::Connecting:
    case AgencySession::Phase::Sending:
    case AgencySession::Phase::WaitingForDraw: break;
    }
    if (const auto invalid = static_cast<int>(s.invalidRows()); invalid > 0) {
        // Each one was listed above as it was found, up to kMaxInvalidRowsListed.
        if (invalid == 1)
            lines << tr("%Ln invalid row of the file was not sent (listed above).", nullptr, 1);
        else if (invalid <= kMaxInvalidRowsListed)
            lines << tr(
                "%Ln invalid rows of the file were not sent (listed above).", nullptr, invalid);
        else
            lines << tr("%Ln invalid rows of the file were not sent; the first %1 are listed "
                        "above.",
                nullptr, invalid)
                         .arg(kMaxInvalidRowsListed);
    }
    for (const QString &line : lines)
        write(line + QLatin1Char('\n'));
}

} // namespace lottery::agency
