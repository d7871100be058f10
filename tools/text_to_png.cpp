// lottery-text-png: renders a text capture of a terminal (UTF-8, one line per row) to a PNG, as
// a dark terminal would show it, for the README's screenshots. No X server needed: it runs on
// Qt's offscreen platform. Usage: lottery-text-png INPUT.txt OUTPUT.png [--columns N]
#include <QFile>
#include <QFontDatabase>
#include <QFontMetrics>
#include <QGuiApplication>
#include <QImage>
#include <QPainter>
#include <QStringList>
#include <QTextStream>

#include <cstdio>

namespace {

constexpr int kMargin = 14; // pixels around the text, like a terminal's padding
constexpr int kPointSize = 11;
const QColor kBackground(0x1e, 0x1e, 0x1e);
const QColor kForeground(0xe0, 0xe0, 0xe0);

} // namespace

int main(int argc, char *argv[])
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QGuiApplication app(argc, argv);
    const QStringList arguments = app.arguments();
    if (arguments.size() < 3) {
        std::fprintf(stderr, "usage: lottery-text-png INPUT.txt OUTPUT.png [--columns N]\n");
        return 2;
    }
    int columns = 0;
    if (const int at = arguments.indexOf(QStringLiteral("--columns")); at > 0) {
        bool ok = false;
        columns = arguments.value(at + 1).toInt(&ok);
        if (!ok || columns <= 0) {
            std::fprintf(stderr, "lottery-text-png: --columns needs a positive number\n");
            return 2;
        }
    }
    QFile input(arguments.at(1));
    if (!input.open(QIODevice::ReadOnly)) {
        std::fprintf(stderr, "lottery-text-png: cannot read %s: %s\n", qPrintable(arguments.at(1)),
            qPrintable(input.errorString()));
        return 1;
    }
    QStringList lines = QString::fromUtf8(input.readAll()).split(QLatin1Char('\n'));
    while (!lines.isEmpty() && lines.last().trimmed().isEmpty())
        lines.removeLast();

    QFont font = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    font.setFamily(QStringLiteral("DejaVu Sans Mono"));
    font.setPointSize(kPointSize);
    const QFontMetrics metrics(font);
    int widest = columns;
    for (const QString &line : std::as_const(lines))
        widest = qMax(widest, static_cast<int>(line.size()));
    const int width = 2 * kMargin + widest * metrics.horizontalAdvance(QLatin1Char('M'));
    const int height = 2 * kMargin + static_cast<int>(lines.size()) * metrics.lineSpacing();

    QImage image(width, height, QImage::Format_RGB32);
    image.fill(kBackground);
    QPainter painter(&image);
    painter.setFont(font);
    painter.setPen(kForeground);
    int baseline = kMargin + metrics.ascent();
    for (const QString &line : std::as_const(lines)) {
        painter.drawText(kMargin, baseline, line);
        baseline += metrics.lineSpacing();
    }
    painter.end();
    if (!image.save(arguments.at(2), "PNG")) {
        std::fprintf(stderr, "lottery-text-png: cannot write %s\n", qPrintable(arguments.at(2)));
        return 1;
    }
    return 0;
}
