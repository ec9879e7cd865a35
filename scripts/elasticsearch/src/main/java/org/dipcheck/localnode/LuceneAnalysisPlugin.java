package org.dipcheck.localnode;

import java.io.Reader;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.charfilter.MappingCharFilter;
import org.apache.lucene.analysis.charfilter.NormalizeCharMap;
import org.apache.lucene.analysis.core.UpperCaseFilter;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.index.analysis.AbstractCharFilterFactory;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.CharFilterFactory;
import org.elasticsearch.index.analysis.NormalizingCharFilterFactory;
import org.elasticsearch.index.analysis.NormalizingTokenFilterFactory;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

/**
 * The analysis components DipCheck's index template names that Elasticsearch ships in its
 * analysis-common module (absent from the published server library): the `mapping` char filter
 * and the `asciifolding` and `uppercase` token filters. Each is a thin wrapper over the Lucene
 * class the module itself wraps (lucene-analysis-common, a dependency of the server), with the
 * module's documented defaults, so a query analyzes here as on a packaged node.
 */
public final class LuceneAnalysisPlugin extends Plugin implements AnalysisPlugin {
    @Override
    public Map<String, AnalysisProvider<CharFilterFactory>> getCharFilters() {
        return Map.of("mapping", AnalysisPlugin.requiresAnalysisSettings(
            (indexSettings, env, name, settings) -> new Mapping(name, settings)));
    }

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of(
            "asciifolding", (indexSettings, env, name, settings) -> new AsciiFolding(name, settings),
            "uppercase", (indexSettings, env, name, settings) -> new UpperCase(name, settings));
    }

    static final class AsciiFolding extends AbstractTokenFilterFactory implements NormalizingTokenFilterFactory {
        private final boolean preserveOriginal;

        AsciiFolding(String name, Settings settings) {
            super(name, settings);
            preserveOriginal = settings.getAsBoolean("preserve_original", false);
        }

        @Override
        public TokenStream create(TokenStream tokenStream) {
            return new ASCIIFoldingFilter(tokenStream, preserveOriginal);
        }

        @Override
        public TokenStream normalize(TokenStream tokenStream) {
            // A normalizer yields one token: never the original beside the folded one.
            return new ASCIIFoldingFilter(tokenStream, false);
        }
    }

    static final class UpperCase extends AbstractTokenFilterFactory implements NormalizingTokenFilterFactory {
        UpperCase(String name, Settings settings) {
            super(name, settings);
        }

        @Override
        public TokenStream create(TokenStream tokenStream) {
            return new UpperCaseFilter(tokenStream);
        }
    }

    /** `mappings: ["a => b", ...]`; either side may use \\uXXXX, \\n, \\t and friends. */
    static final class Mapping extends AbstractCharFilterFactory implements NormalizingCharFilterFactory {
        private static final Pattern RULE = Pattern.compile("(.*)\\s*=>\\s*(.*)\\s*$");
        private final NormalizeCharMap map;

        Mapping(String name, Settings settings) {
            super(name);
            List<String> rules = settings.getAsList("mappings");
            if (rules.isEmpty()) {
                throw new IllegalArgumentException("mapping requires [mappings] to be configured");
            }
            NormalizeCharMap.Builder builder = new NormalizeCharMap.Builder();
            for (String rule : rules) {
                Matcher m = RULE.matcher(rule);
                if (!m.find()) {
                    throw new IllegalArgumentException("Invalid mapping rule: [" + rule + "]");
                }
                String from = unescape(m.group(1).trim());
                if (from.isEmpty()) {
                    throw new IllegalArgumentException("Invalid mapping rule: [" + rule + "]");
                }
                builder.add(from, unescape(m.group(2).trim()));
            }
            map = builder.build();
        }

        @Override
        public Reader create(Reader reader) {
            return new MappingCharFilter(map, reader);
        }

        private static String unescape(String s) {
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c != '\\' || i + 1 == s.length()) {
                    out.append(c);
                    continue;
                }
                char e = s.charAt(++i);
                switch (e) {
                    case 'n' -> out.append('\n');
                    case 't' -> out.append('\t');
                    case 'r' -> out.append('\r');
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'u' -> {
                        out.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                        i += 4;
                    }
                    default -> out.append(e);
                }
            }
            return out.toString();
        }
    }
}
