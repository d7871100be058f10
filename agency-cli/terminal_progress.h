// What a person at a terminal sees while agency-cli runs: one progress line on stderr (bets sent
// and stored, rate, time left), redrawn a few times a second in place (\r, clear to the end of
// the line, cut to the terminal's width), messages printed above it, and a translated summary
// with the winners at the end. Only used when stderr is a terminal and --no-progress is not
// given; otherwise the program writes exactly its log lines.
#pragma once

#include "lottery/agency/agency_session.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QTimer>

namespace lottery::agency {

class TerminalProgress : public QObject
{
    Q_OBJECT
public:
    // What one progress line shows; a value, so that render() can be tested alone.
    struct Snapshot {
        AgencySession::Phase phase = AgencySession::Phase::Idle;
        qint64 betsSent = 0; // this session
        qint64 betsStored = 0; // acknowledged, this session
        qint64 storedBefore = 0; // from WELCOME: earlier sessions
        qint64 bytesRead = 0;
        qint64 fileSize = 0;
        qint64 sendingMs = 0; // since the first batch went out
        int connectAttempts = 0;
        // The fraction stored that the line showed last: it never goes back (a reconnection
        // re-reads the file from its start).
        double shownFraction = 0.0;
    };

    static constexpr int kRedrawMs = 200; // five redraws a second
    static constexpr int kDefaultWidth = 80; // when the terminal does not say

    TerminalProgress(AgencySession *session, int fd, QObject *parent = nullptr);
    ~TerminalProgress() override;

    static bool isTerminal(int fd);
    // The terminal's width in columns, kDefaultWidth when unknown.
    static int terminalWidth(int fd);
    // The line for `snapshot`, at most `width - 1` characters (the last column stays free so
    // the terminal never wraps). While sending: the bar, the percentage, then what the width
    // holds, chosen by the width alone so that nothing comes and goes between redraws.
    static QString render(const Snapshot &snapshot, int width);
    // The estimated fraction of the file's valid bets the server has stored, 0..1: the share of
    // the file read, times the share of what was read that is stored. 1 only once every bet
    // read is stored and the file is read to its end. Never below snapshot.shownFraction.
    static double storedFraction(const Snapshot &snapshot);

    // Prints `text` on a line of its own above the progress line.
    void printLine(const QString &text);
    // Clears the progress line and prints the end summary for the session's outcome.
    void finish();

private:
    Snapshot snapshot() const;
    void redraw();
    void clearLine();
    void write(const QString &text);
    // "The server keeps the N bets it stored...", after a failure or (`stopped`) a stop.
    static QString keptText(qint64 stored, bool stopped);

    AgencySession *m_session;
    int m_fd;
    QTimer m_timer;
    QElapsedTimer m_total;
    QElapsedTimer m_sending;
    bool m_lineShown = false;
    double m_shownFraction = 0.0;
    int m_invalidShown = 0;
};

} // namespace lottery::agency
