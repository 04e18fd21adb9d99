export default function Home() {
  return (
    <main>
      <h1>ICH triage</h1>
      <p>Intracranial hemorrhage triage for head CT: suspected bleeds first.</p>
      <p className="notice" role="note">
        Not for clinical use. The shipped model is trained on synthetic phantoms; its outputs are not diagnoses.
      </p>
    </main>
  );
}
