// Types of the parser's output (prom2json's shape): values are strings as written in the text.
declare module 'parse-prometheus-text-format' {
  export interface Sample {
    readonly labels?: Readonly<Record<string, string>>;
    readonly value?: string;
    /** Histograms: cumulative counts by upper bound (`le`), `count` and `sum`. */
    readonly buckets?: Readonly<Record<string, string>>;
    readonly count?: string;
    readonly sum?: string;
  }
  export interface Family {
    readonly name: string;
    readonly help: string;
    readonly type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    readonly metrics: readonly Sample[];
  }
  export default function parsePrometheusTextFormat(text: string): Family[];
}
