/*
 * Copyright 2026 The SoundRelay Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     https://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */
package io.soundrelay.tools;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.apache.batik.svggen.SVGGraphics2D;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.text.TextUtils;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.w3c.dom.Document;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Dimension;
import java.awt.Font;
import java.awt.Rectangle;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.FieldPosition;
import java.text.NumberFormat;
import java.text.ParsePosition;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A chart of latency percentile distributions drawn as HdrHistogram's plotter draws them: latency in milliseconds
 * over the percentile, on a log scale of 1/(1-percentile) labelled 0%, 90%, 99%, 99.9%..., several series on one
 * chart. Written as SVG or PNG by the file's extension, headless.
 */
final class LatencyPlot
{
    /** File name endings a chart is written as. */
    static final String FORMATS = ".svg or .png";

    private static final int WIDTH = 960;
    private static final int HEIGHT = 600;
    private static final double NANOS_PER_MILLI = 1e6;
    private static final double MICROS_PER_MILLI = 1e3;
    // 1/(1-p) of the last tick drawn at least: 99.999%.
    private static final double MIN_UPPER_X = 1e5;
    private static final Color[] COLORS = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf) };

    static
    {
        System.setProperty("java.awt.headless", "true");
    }

    private final String title;
    private final List<Series> series = new ArrayList<>();

    /**
     * One named distribution: points (1/(1-percentile), latency in ms), percentile below 100 %.
     */
    record Series(String name, List<double[]> points)
    {
    }

    LatencyPlot(final String title)
    {
        this.title = title;
    }

    /**
     * @return null when the file name ends in .svg or .png (any case), else why not.
     */
    static String checkFormat(final String file)
    {
        final String lower = file.toLowerCase(Locale.ROOT);
        return lower.endsWith(".svg") || lower.endsWith(".png") ? null :
            "the file name must end in " + FORMATS + " (the chart's format)";
    }

    /**
     * Add a histogram recorded in nanoseconds.
     */
    LatencyPlot add(final String name, final Histogram nanos)
    {
        final List<double[]> points = new ArrayList<>();
        for (final HistogramIterationValue value :
            nanos.percentiles(GeneratorResult.PERCENTILE_TICKS_PER_HALF_DISTANCE))
        {
            addPoint(points, value.getPercentileLevelIteratedTo() / 100.0,
                value.getValueIteratedTo() / NANOS_PER_MILLI);
        }
        series.add(new Series(name, points));
        return this;
    }

    /**
     * Add a distribution read from HdrHistogram's percentile-distribution output in microseconds (loadgen --hgrm).
     *
     * @throws IOException when the file cannot be read or has no percentile line.
     */
    LatencyPlot addHgrm(final String name, final Path file) throws IOException
    {
        final List<double[]> points = new ArrayList<>();
        for (final String line : Files.readAllLines(file, StandardCharsets.UTF_8))
        {
            final String[] columns = line.trim().split("\\s+");
            if (columns.length < 3 || line.trim().startsWith("#"))
            {
                continue;
            }
            try
            {
                final double micros = Double.parseDouble(columns[0]);
                final double percentile = Double.parseDouble(columns[1]);
                Long.parseLong(columns[2]);
                addPoint(points, percentile, micros / MICROS_PER_MILLI);
            }
            catch (final NumberFormatException header)
            {
                // the column heads, or a line that is no percentile line
            }
        }
        if (points.isEmpty())
        {
            throw new IOException(file + ": no percentile lines (HdrHistogram's percentile distribution, as " +
                "loadgen --hgrm writes it)");
        }
        series.add(new Series(name, points));
        return this;
    }

    List<Series> series()
    {
        return series;
    }

    /**
     * Write the chart, SVG or PNG by the file's extension.
     */
    void write(final Path file) throws IOException
    {
        final JFreeChart chart = chart();
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png"))
        {
            ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
            return;
        }
        final Document document;
        try
        {
            document = DocumentBuilderFactory.newInstance().newDocumentBuilder().getDOMImplementation()
                .createDocument("http://www.w3.org/2000/svg", "svg", null);
        }
        catch (final ParserConfigurationException ex)
        {
            throw new IOException("no XML document builder: " + ex.getMessage(), ex);
        }
        final SVGGraphics2D svg = new SVGGraphics2D(document);
        svg.setSVGCanvasSize(new Dimension(WIDTH, HEIGHT));
        chart.draw(svg, new Rectangle(0, 0, WIDTH, HEIGHT));
        try (OutputStream stream = Files.newOutputStream(file);
            Writer writer = new OutputStreamWriter(stream, StandardCharsets.UTF_8))
        {
            svg.stream(writer, true);
        }
    }

    private static void addPoint(final List<double[]> points, final double percentile, final double millis)
    {
        // 100 % is 1/(1-p) = infinity: HdrHistogram's plotter ends the line at the last finite point too.
        if (percentile < 1.0)
        {
            points.add(new double[] { 1.0 / (1.0 - percentile), millis });
        }
    }

    private JFreeChart chart()
    {
        final XYSeriesCollection data = new XYSeriesCollection();
        double maxX = MIN_UPPER_X;
        for (final Series one : series)
        {
            final XYSeries xy = new XYSeries(one.name(), false, true);
            for (final double[] point : one.points())
            {
                // The axis is log10(1/(1-p)) on a linear axis: its tick labels stay plain text in SVG.
                xy.add(Math.log10(point[0]), point[1]);
                maxX = Math.max(maxX, point[0]);
            }
            data.addSeries(xy);
        }

        final NumberAxis x = new NumberAxis("percentile");
        x.setAutoTickUnitSelection(false);
        x.setTickUnit(new NumberTickUnit(1, new PercentileFormat()));
        x.setRange(0, Math.ceil(Math.log10(maxX)));
        final NumberAxis y = new NumberAxis("latency (ms)");
        y.setAutoRangeIncludesZero(true);

        final XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < series.size(); i++)
        {
            renderer.setSeriesPaint(i, COLORS[i % COLORS.length]);
            renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
        final XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);

        // Rotated text (the y axis' label) as text, not as glyph outlines, in SVG.
        TextUtils.setUseDrawRotatedStringWorkaround(false);
        final JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 16), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        // Room on the right for the last tick's label, centred on the axis' end.
        chart.setPadding(new RectangleInsets(8, 8, 8, 32));
        final LegendTitle legend = chart.getLegend();
        legend.setPosition(RectangleEdge.BOTTOM);
        return chart;
    }

    /**
     * Labels the ticks at log10(1/(1-p)) = 0, 1, 2... as the percentile: 0%, 90%, 99%, 99.9%...
     */
    private static final class PercentileFormat extends NumberFormat
    {
        private static final long serialVersionUID = 1L;

        @Override
        public StringBuffer format(final double number, final StringBuffer to, final FieldPosition position)
        {
            return to.append(label(number));
        }

        @Override
        public StringBuffer format(final long number, final StringBuffer to, final FieldPosition position)
        {
            return format((double)number, to, position);
        }

        @Override
        public Number parse(final String source, final ParsePosition position)
        {
            return null;
        }

        /**
         * @param log the tick's log10(1/(1-p)): its number of nines.
         */
        static String label(final double log)
        {
            final long nines = Math.round(log);
            if (nines <= 0)
            {
                return "0%";
            }
            if (nines == 1)
            {
                return "90%";
            }
            return "99" + (nines > 2 ? "." + "9".repeat((int)(nines - 2)) : "") + "%";
        }
    }
}
