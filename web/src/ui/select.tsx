interface SelectProps {
  id: string;
  label: string;
  value: string;
  options: [value: string, label: string][];
  onChange: (event: Event) => void;
  /** The label beside the select, not above it. */
  inline?: boolean;
}

/** A labelled select of [value, label] options: the one select control of the filter bars. */
export function Select({ id, label, value, options, onChange, inline = false }: SelectProps) {
  return (
    <div class={inline ? 'field inline' : 'field'}>
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={onChange}>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}
