export * from "./affected";
export * from "./checks";
export * from "./estimate";
export * from "./report";
