/** The "All values" table of the chart README, generated from values.yaml. */
export declare const START: string;
export declare const END: string;
export declare function valuesTable(valuesText?: string): string;
export declare function withCurrentTable(readme: string, table?: string): string;
